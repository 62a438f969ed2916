"""All rewrites at once: the command ``tmplint fix`` runs (``MigrateToHelper``).

Every finding of the module is either fixed or reported as left with its reason; the literal
rewrite (TMP006) runs only with ``--unsafe-fixes``.
"""
from __future__ import annotations

from tmplint.codemods import gettempdir, literal_paths, mkdtemp, mkstemp, mktemp, named_temporary_file
from tmplint.codemods import temporary_directory
from tmplint.codemods.base import TmplintCommand, all_planners

PLANNERS = all_planners(
    named_temporary_file.PLANNERS,
    mkstemp.PLANNERS,
    mkdtemp.PLANNERS,
    temporary_directory.PLANNERS,
    mktemp.PLANNERS,
    gettempdir.PLANNERS,
    literal_paths.PLANNERS,
)


class MigrateToHelper(TmplintCommand):
    DESCRIPTION = ("Rewrite every scratch file in the shared system temp dir (tempfile.*, gettempdir(), "
                   "and with --unsafe-fixes '/tmp' literals) into the per-job temp path helper.")
    PLANNERS = PLANNERS
    REPORT_ALL = True

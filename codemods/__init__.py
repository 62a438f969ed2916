"""tmplint's libcst codemods (installed as ``tmplint.codemods``).

``tmplint fix`` runs :class:`tmplint.codemods.migrate.MigrateToHelper`, which applies every rewrite
of docs/fix.md's table at once. Each rewrite also has its own command, shaped like libcst's
``codemod/commands``:

* ``named_temporary_file.FixNamedTemporaryFile`` - TMP001: NamedTemporaryFile, TemporaryFile,
  SpooledTemporaryFile
* ``mkstemp.FixMkstemp`` - TMP002: mkstemp
* ``mkdtemp.FixMkdtemp`` - TMP003: mkdtemp
* ``temporary_directory.FixTemporaryDirectory`` - TMP003: TemporaryDirectory
* ``mktemp.FixMktemp`` - TMP004: mktemp
* ``gettempdir.FixGettempdir`` - TMP005: gettempdir, gettempdirb
* ``literal_paths.FixLiteralPaths`` - TMP006: literal temp paths (an unsafe fix)
* ``migrate.MigrateToHelper`` - all of the above

They run under libcst's own runner too; it needs ``-x`` to take a full dotted path, and
``--no-format`` unless a formatter is configured::

    python -m libcst.tool codemod -x tmplint.codemods.migrate.MigrateToHelper --no-format src/

or, with ``modules: [tmplint.codemods]`` in a ``.libcst.codemod.yaml``::

    python -m libcst.tool codemod mkstemp.FixMkstemp --no-format src/

Standalone, a command reads ``[tool.tmplint]`` from the nearest ``pyproject.toml`` and runs the
detector on each module itself (the detector is the only source of sites); ``--unsafe-fixes``,
``--add-noqa``, ``--helper-module``, ``--workflow-id-fallback``, ``--add-workflow-param`` and
``--tmplint-config`` are accepted as command arguments.

Layout: ``base`` (the engine: findings -> plans -> one transform), ``plans`` (what a planner
returns), ``imports`` (the import passes after the transform), ``sites`` (findings to nodes
by position), ``signatures`` (stdlib argument binding), ``workflow_id`` (which expression holds
the id), ``escape`` (may a cleanup be added?), ``rewrite``/``build`` (shared pieces), ``api``
(``fix_bytes``: one module's bytes in, new bytes and a report out).
"""

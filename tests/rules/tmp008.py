# tmplint-config: extend-select = ["TMP008"]
"""TMP008: creators with an explicit dir= (eval file; never imported or run)."""
import functools
import os
import tempfile
from functools import partial
from pathlib import Path
from tempfile import mkstemp


def explicit_dir(out_dir, n):
    a = tempfile.mkstemp(dir=out_dir)  # TMP008: 8
    b = tempfile.NamedTemporaryFile(dir=out_dir, delete=False)  # TMP008: 8
    c = tempfile.mkdtemp(None, None, out_dir)  # TMP008: 8
    d = tempfile.mkstemp(dir=("/srv" + "/x"))  # TMP008: 8
    e = functools.partial(tempfile.NamedTemporaryFile, dir=out_dir)  # TMP008: 26
    f = partial(mkstemp, ".x", "p_", out_dir)  # TMP008: 16
    g = tempfile.SpooledTemporaryFile(max_size=1024, dir=out_dir)  # TMP008: 8
    h = tempfile.SpooledTemporaryFile(n, dir=out_dir)  # TMP008: 8
    i = partial(tempfile.TemporaryDirectory, suffix=".d", dir=out_dir)  # TMP008: 16
    j = tempfile.SpooledTemporaryFile(1024, "w+b", -1, None, None, None, None, out_dir)  # TMP008: 8
    return a, b, c, d, e, f, g, h, i, j


def not_tmp008(out_dir, x):
    a = tempfile.SpooledTemporaryFile(dir=out_dir)  # stays in memory
    f = tempfile.SpooledTemporaryFile(0, "w+b", -1, None, None, None, None, out_dir)  # max_size 0: in memory
    b = tempfile.mkdtemp(dir=Path("/tmp"))  # TMP003: 8
    c = tempfile.mkstemp(dir=os.path.join("/tmp", x))  # TMP002: 8
    d = tempfile.NamedTemporaryFile(**{"dir": "/tmp"})  # TMP001: 8
    e = tempfile.mktemp(dir=out_dir)  # TMP004: 8
    return a, b, c, d, e, f

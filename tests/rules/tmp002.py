"""TMP002: mkstemp() in the shared system temp dir (eval file; never imported or run)."""
import functools
import os
import tempfile
from pathlib import Path

SCRATCH = None
TEMP_DIRECTORY = "/tmp"  # TMP006: 17


def setup():
    global tf
    import tempfile as tf


def outer():
    mk: object  # the only binding in outer is the nonlocal import below

    def bind():
        nonlocal mk
        from tempfile import mkstemp as mk

    bind()
    return mk()  # TMP002: 11


def use(x, out_dir, args):
    a = tf.mkstemp()  # TMP002: 8
    b = tempfile.mkstemp(dir=SCRATCH)  # TMP002: 8
    c = tempfile.mkstemp(dir=TEMP_DIRECTORY)  # TMP002: 8
    d = tempfile.mkstemp(dir=os.path.join("/tmp", x))  # TMP002: 8
    e = tempfile.mkstemp(dir=Path("/tmp"))  # TMP002: 8
    f = tempfile.mkstemp(dir=(t := "/tmp"))  # TMP002: 8
    g = tempfile.mkstemp(*args)  # TMP002: 8
    h = tempfile.mkstemp(dir=out_dir)
    i = tempfile.mkstemp(".x", "p_", None)  # TMP002: 8
    return a, b, c, d, e, f, g, h, i, t


def dir_keyword_and_partial(options):
    a = tempfile.mkstemp(dir=None)  # TMP002: 8
    b = tempfile.mkstemp(dir="/tmp")  # TMP002: 8
    c = tempfile.mkstemp(**options)  # TMP002: 8
    d = functools.partial(tempfile.mkstemp, dir=tempfile.gettempdir())  # TMP002: 26
    e = functools.partial(tempfile.mkstemp, dir=None)  # TMP002: 26
    f = functools.partial(tempfile.mkstemp, **options)  # TMP002: 26
    return a, b, c, d, e, f


def not_functools_partial(partial, out_dir):
    return partial(tempfile.mkstemp, dir=out_dir)  # TMP002: 19


def local_names(tempfile, mkstemp):
    return tempfile.mkstemp(), mkstemp()


# suppressions: TMP002 has no other tool's code, and a bare nosec is bandit's, not ours
J = tempfile.mkstemp()  # noqa: S306  # TMP002: 4
K = tempfile.mkstemp()  # nosec  # TMP002: 4
L = tempfile.mkstemp()  # noqa: TMP00
M = tempfile.mkstemp(  # TMP002: 4
    ".x",
)
N = tempfile.mkstemp(  # TMP002: 4
    ".x",
)  # noqa: TMP002  (as in flake8, a noqa covers its own physical line inside brackets)

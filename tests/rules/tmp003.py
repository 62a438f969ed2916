"""TMP003: temp dirs in the shared system temp dir (eval file; never imported or run)."""
import functools
import tempfile
from pathlib import Path
from tempfile import TemporaryDirectory, mkdtemp

FIRST = mkdtemp()  # TMP003: 8


def mkdtemp():  # a later def rebinds the name, for the code after it and for functions
    return "/share/workflows/x"


SECOND = mkdtemp()
del TemporaryDirectory
THIRD = TemporaryDirectory()


def TemporaryDirectory():
    return None


def use(x):
    f"made {tempfile.mkdtemp()}"  # TMP003: 12
    "a plain string statement is prose: {tempfile.mkdtemp()}"
    a = tempfile.mkdtemp(dir=Path("/tmp") / x)  # TMP003: 8
    b = tempfile.TemporaryDirectory(dir=tempfile.gettempdir())  # TMP003: 8
    c = tempfile.mkdtemp("", "x", "/var/tmp/work")  # TMP003: 8
    d = tempfile.mkdtemp(dir=f"/tmp/{x}")  # TMP003: 8
    return a, b, c, d, mkdtemp(), TemporaryDirectory()


def partial_with_temp_dir():
    return functools.partial(tempfile.mkdtemp, dir="/tmp")  # TMP003: 29


class Settings:
    directory = tempfile.mkdtemp()  # TMP003: 16
    tempfile = None
    other = tempfile


class Aliased:
    tempfile = tempfile
    made = tempfile.mkdtemp()  # TMP003: 11

"""TMP004: mktemp() is unsafe wherever it points (eval file; never imported or run)."""
import functools
import tempfile
from tempfile import mktemp

A = tempfile.mktemp()  # TMP004: 4
B = tempfile.mktemp(dir="/srv/scratch")  # TMP004: 4
C = tempfile.mktemp()  # nosec B306
D = tempfile.mktemp()  # nosec
E = tempfile.mktemp()  # noqa: S306
F = tempfile.mktemp()  # nosec B108  # TMP004: 4
G = tempfile.mktemp()  # noqa: TMP006  # TMP004: 4

H = functools.partial(tempfile.mktemp, dir="/srv/scratch")  # TMP004: 22


def nested():
    def inner():
        return mktemp()  # TMP004: 15

    return inner

"""TMP005: reads and sets of the system temp dir (eval file; never imported or run)."""
import tempfile
from tempfile import *

A = gettempdir()  # TMP005: 4
B = tempfile.gettempdirb()  # TMP005: 4
tempfile.tempdir = "/srv"  # TMP005: 0
C = tempfile.tempdir  # TMP005: 4
D = tempdir  # TMP005: 4
G = mkstemp()  # TMP002: 4
H = SpooledTemporaryFile(max_size=1024)  # TMP001: 4
tempdir = "/share/workflows/x"
E = tempdir


def gettempdir():
    return "/share/workflows/x"


F = gettempdir()


def make():
    fd, path = mkstemp()  # TMP002: 15
    return path, SpooledTemporaryFile(max_size=1024)  # TMP001: 17

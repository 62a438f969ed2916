# tmplint-config: extend-select = ["TMP007"]
"""TMP007: the temp dir read from the environment (eval file; never imported or run)."""
import os
from os import environ, getenv

A = os.environ["TMPDIR"]  # TMP007: 4
B = os.getenv("TMP")  # TMP007: 4
C = environ.get("TEMP", "/scratch")  # TMP007: 4
D = getenv("TMPDIR")  # TMP007: 4
E = os.getenv(key="TMPDIR")  # TMP007: 4
F = os.environ.get(key="TMP", default="/scratch")  # TMP007: 4
G = os.environ.pop("TMPDIR")  # TMP007: 4
H = os.environ.get("HOME")
I = os.environ["PATH"]

os.environ["TMPDIR"] = "/scratch"
del os.environ["TMPDIR"]
os.environ.pop("TMP", None)
os.environ.setdefault("TEMP", "/scratch")


def local_environ(environ):
    return environ["TMPDIR"]

"""TMP001: temp files in the shared system temp dir (eval file; never imported or run)."""
from __future__ import annotations

import functools
import tempfile
import typing
from tempfile import SpooledTemporaryFile as Spooled
from tempfile import gettempdir
from typing import IO, TYPE_CHECKING, Optional, Union

if TYPE_CHECKING:
    from tempfile import NamedTemporaryFile
if typing.TYPE_CHECKING:
    import tempfile as tf

SIZE = 1 << 20


def files(n, out_dir, options):
    a = tempfile.NamedTemporaryFile()  # TMP001: 8
    b = tempfile.TemporaryFile(mode="w+")  # TMP001: 8
    c = tempfile.NamedTemporaryFile("w", -1, None, None, "", "", gettempdir())  # TMP001: 8
    d = tempfile.NamedTemporaryFile(**{"dir": "/var/tmp"})  # TMP001: 8
    e = tempfile.TemporaryFile(dir=out_dir)
    f = tempfile.NamedTemporaryFile(**options)  # TMP001: 8
    return a, b, c, d, e, f


def partial_without_dir():
    return functools.partial(tempfile.NamedTemporaryFile, suffix=".x")  # TMP001: 29


def reference_without_call(factories):
    factories.append(tempfile.NamedTemporaryFile)  # TMP001: 21


def spooled(n):
    a = tempfile.SpooledTemporaryFile()
    b = tempfile.SpooledTemporaryFile(max_size=0, dir="/tmp")  # never written to its dir
    c = tempfile.SpooledTemporaryFile(max_size=1024)  # TMP001: 8
    d = Spooled(SIZE)  # TMP001: 8
    e = tempfile.SpooledTemporaryFile(max_size=n)  # TMP001: 8
    f = tempfile.SpooledTemporaryFile()  # TMP001: 8
    f.rollover()
    return a, b, c, d, e, f


# type-only references create nothing
spool: tempfile.SpooledTemporaryFile
named: Optional[NamedTemporaryFile] = None
quoted: "tempfile.TemporaryFile | None" = None


def annotated(a: tempfile.SpooledTemporaryFile, b: Union[IO[bytes], "tempfile.TemporaryFile"]) -> tempfile.TemporaryFile:
    d: tf.NamedTemporaryFile = a
    return d


def checks(x):
    return (
        isinstance(x, tempfile.SpooledTemporaryFile),
        isinstance(x, (int, (tempfile.TemporaryFile, tempfile.SpooledTemporaryFile))),
        issubclass(tempfile.SpooledTemporaryFile, object),
        NamedTemporaryFile,
        isinstance(x, type(tempfile.TemporaryFile())),  # TMP001: 27
    )

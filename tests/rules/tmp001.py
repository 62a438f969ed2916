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


# SpooledTemporaryFile only touches disk when it rolls over, which needs a max_size
def in_memory():
    a = tempfile.SpooledTemporaryFile()
    b = tempfile.SpooledTemporaryFile(max_size=0)
    c = tempfile.SpooledTemporaryFile(0, "w+")
    d = Spooled(mode="w+", encoding="utf-8")
    e = tempfile.SpooledTemporaryFile(max_size=0, dir="/tmp")  # a dir it never writes to
    f = tempfile.SpooledTemporaryFile(suffix=".x", dir=tempfile.gettempdir())
    return a, b, c, d, e, f


def rolls_over(n, args, kwargs):
    a = tempfile.SpooledTemporaryFile(max_size=1024)  # TMP001: 8
    b = tempfile.SpooledTemporaryFile(1024, "w+")  # TMP001: 8
    c = Spooled(SIZE)  # TMP001: 8
    d = tempfile.SpooledTemporaryFile(max_size=n)  # TMP001: 8
    e = tempfile.SpooledTemporaryFile(-1)  # TMP001: 8
    f = tempfile.SpooledTemporaryFile(max_size=10, dir="/tmp")  # TMP001: 8
    g = tempfile.SpooledTemporaryFile(*args)  # TMP001: 8
    h = tempfile.SpooledTemporaryFile(mode="w+", **kwargs)  # TMP001: 8
    i = tempfile.SpooledTemporaryFile(max_size=1 if n else 0)  # TMP001: 8
    return a, b, c, d, e, f, g, h, i


def uncalled():
    # the factory may be called with a max_size: reported as any other reference
    return tempfile.SpooledTemporaryFile  # TMP001: 11


def rolled_over_explicitly(data):
    # .rollover() and .fileno() write it to disk whatever its max_size
    f = tempfile.SpooledTemporaryFile()  # TMP001: 8
    f.write(data)
    f.rollover()
    with tempfile.SpooledTemporaryFile(mode="w+b") as g:  # TMP001: 9
        return f, g, g.fileno()


class Buffer:
    def __init__(self):
        self.spool = tempfile.SpooledTemporaryFile()  # TMP001: 21
        self.memory = tempfile.SpooledTemporaryFile()

    def fd(self):
        return self.spool.fileno()


def other_objects_fileno(stream):
    f = tempfile.SpooledTemporaryFile()
    return f, stream.fileno()


SHARED = tempfile.SpooledTemporaryFile()  # TMP001: 9
QUIET = tempfile.SpooledTemporaryFile()
UNRELATED = 1


def use_shared():
    return SHARED.fileno()


class Tests:
    def test_rolls_over(self):
        f = tempfile.SpooledTemporaryFile(max_size=1)  # TMP001: 12
        f.write(b"xy")
        return f.fileno()

    def test_in_memory(self):
        f = tempfile.SpooledTemporaryFile()  # another method's f.fileno() is another file
        return f.write(b"x")


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

"""TMP006: hard-coded paths in the shared system temp dir (eval file; never imported or run).

Docstrings mention /tmp freely; so do comments.
"""
import os
import tempfile
from pathlib import Path

CONSTANT = "/tmp"  # TMP006: 11
NESTED = "/tmp/cache/x.json"  # TMP006: 9
BYTES = b"/tmp/raw"  # TMP006: 8
SHM = "/dev/shm/frames"  # TMP006: 6
VAR_TMP = "/var/tmp/"  # TMP006: 10
JOINED = os.path.join("/tmp", "x")  # TMP006: 22
PATHLIB = Path("/tmp") / "x"  # TMP006: 15
F_STRING = f"/tmp/{CONSTANT}.png"  # TMP006: 11
NOT_BOUNDARY = "/tmpfoo/x"
URL = "http://example.com/tmp/x"
SHARE = "/share/workflows/abc/tmp"
"a stray string statement is prose: /tmp/x"
ÉTÉ = "/tmp/été"; NAÏVE = "/tmp/x"  # TMP006: 6  # TMP006: 26  (columns count characters, not UTF-8 bytes)

PRIVATE = "/private/var/tmp/x"  # TMP006: 10
USR = "/usr/tmp"  # TMP006: 6
IMPLICIT_CONCAT = ("/tmp" "/x")  # TMP006: 19

NOT_START = "a /tmp b"
PROSE = "write to /tmp later"
FILE_URL = "file:///tmp/x"
RELATIVE = "tmp/x"
SPACE_AFTER = "/tmp later"  # not a path boundary


class Paths:
    """Class docstring: /tmp."""

    where = "/tmp/class"  # TMP006: 12

    def method(self, workflow_id, n):
        """Function docstring /tmp/x."""
        a = f"/tmp/{n}.png"  # TMP006: 12
        b = f"/share/workflows/{workflow_id}/tmp"
        c = f"{n}/tmp"
        d = rf"/dev/shm/{n}"  # TMP006: 12
        return a, b, c, d


def bare_string_statements():
    x = 1
    "/tmp: a stray string statement is prose"
    return x


def nested_in_fstring(n):
    return f"{'/tmp/inner'}-{n}"  # TMP006: 14


def multiline():
    return (
        "/tmp/"  # TMP006: 8
        "multi"
    )


# A comment about /tmp is never flagged.


# suppressions
A = "/tmp/a"  # noqa
B = "/tmp/b"  # noqa: TMP006
C = "/tmp/c"  # noqa:TMP006,E501
C2 = "/tmp/c2"  # noqa: TMP
O = """
/tmp/in-a-multiline-string
"""  # a multi-line string that starts with a line break is not a path
D = "/tmp/d"  # NOQA: S108
E = "/tmp/e"  # noqa: TMP001  # TMP006: 4
F = "/tmp/f"  # noqa: E501  # TMP006: 4
G = "/tmp/g"  # nosec B108
H = "/tmp/h"  # nosec B306  # TMP006: 4
I = "/tmp/i"  # nosec
J = """/tmp/multiline
string"""  # noqa: TMP006

# characters str.splitlines() breaks on but Python keeps inside a line: a noqa stays on its line
S0 = "ab"  # a form feed inside a string, and one here:.
Q0 = "/tmp/q0"  # noqa: TMP006
R0 = "/tmp/r0"  # TMP006: 5
T0 = "/tmp/t0"  #  in the comment before the noqa  # noqa
S1 = "ab"  # a vertical tab inside a string, and one here:.
Q1 = "/tmp/q1"  # noqa: TMP006
R1 = "/tmp/r1"  # TMP006: 5
T1 = "/tmp/t1"  #  in the comment before the noqa  # noqa
S2 = "ab"  # a file separator inside a string, and one here:.
Q2 = "/tmp/q2"  # noqa: TMP006
R2 = "/tmp/r2"  # TMP006: 5
T2 = "/tmp/t2"  #  in the comment before the noqa  # noqa
S3 = "ab"  # a group separator inside a string, and one here:.
Q3 = "/tmp/q3"  # noqa: TMP006
R3 = "/tmp/r3"  # TMP006: 5
T3 = "/tmp/t3"  #  in the comment before the noqa  # noqa
S4 = "ab"  # a record separator inside a string, and one here:.
Q4 = "/tmp/q4"  # noqa: TMP006
R4 = "/tmp/r4"  # TMP006: 5
T4 = "/tmp/t4"  #  in the comment before the noqa  # noqa
S5 = "ab"  # a next line inside a string, and one here:.
Q5 = "/tmp/q5"  # noqa: TMP006
R5 = "/tmp/r5"  # TMP006: 5
T5 = "/tmp/t5"  #  in the comment before the noqa  # noqa
S6 = "a b"  # a line separator inside a string, and one here: .
Q6 = "/tmp/q6"  # noqa: TMP006
R6 = "/tmp/r6"  # TMP006: 5
T6 = "/tmp/t6"  #   in the comment before the noqa  # noqa
S7 = "a b"  # a paragraph separator inside a string, and one here: .
Q7 = "/tmp/q7"  # noqa: TMP006
R7 = "/tmp/r7"  # TMP006: 5
T7 = "/tmp/t7"  #   in the comment before the noqa  # noqa

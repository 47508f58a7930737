"""What Python and the other readers make of a file's encoding: a Python file that is not UTF-8 and declares no
encoding (PEP 263: Python refuses to import it), and text stored as UTF-16 without a byte order mark."""
from __future__ import annotations

from prodcheck.lazy_pattern import lazy
from prodcheck.parsing import ParseError


ENCODING_ERROR = "_encoding_error"  # the view of a Python file that is not UTF-8 and declares no encoding
_COOKIE = lazy(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")  # https://peps.python.org/pep-0263/
_BLANK_OR_COMMENT = lazy(rb"^[ \t\f]*(?:[#\r\n]|$)")


def undeclared_encoding(data: bytes) -> ParseError | None:
    """Why Python refuses to import a file, when its bytes are not UTF-8 and it declares no encoding
    (no UTF-8 byte order mark, no coding comment on line 1, or on line 2 below a blank or comment line)."""
    try:
        data.decode("utf-8")
        return None
    except UnicodeDecodeError as error:
        start = error.start
    if data.startswith(b"\xef\xbb\xbf"):
        return None  # a BOM declares UTF-8: the byte is an error the parser reports itself
    first, _, rest = data.partition(b"\n")
    second = rest.partition(b"\n")[0]
    if _COOKIE.match(first) or (_BLANK_OR_COMMENT.match(first) and _COOKIE.match(second)):
        return None
    line = data.count(b"\n", 0, start) + 1
    column = len(data[data.rfind(b"\n", 0, start) + 1:start].decode("utf-8", "replace")) + 1
    return ParseError(f"Python source is not valid UTF-8 (byte 0x{data[start]:02x}) and declares no encoding: "
                      "Python refuses to import it; save it as UTF-8 or declare its encoding (PEP 263)", line, column)


def utf16_without_bom(head: bytes) -> bool:
    """ASCII text stored as UTF-16: every other byte is NUL."""
    if len(head) < 4:
        return False
    pairs = len(head) // 2
    even, odd = head[0:pairs * 2:2], head[1:pairs * 2:2]
    return even.count(0) == pairs or odd.count(0) == pairs

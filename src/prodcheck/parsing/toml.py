"""TOML through tomllib, with the nesting checked first: ParseError, never RecursionError."""
from __future__ import annotations

import re
import tomllib
from typing import Any

from prodcheck.parsing import ParseError
from prodcheck.parsing.nesting import check_depth


def loads(text: str) -> dict[str, Any]:
    check_depth(text, what="TOML")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+), column (\d+)", str(error))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        raise ParseError(f"invalid TOML: {str(error).split(' (at ')[0]}", line, column) from None
    except (RecursionError, MemoryError):
        raise ParseError("TOML nested too deep, not checked") from None
    except ValueError as error:  # e.g. an integer beyond Python's digit limit
        raise ParseError(f"invalid TOML: {error}") from None

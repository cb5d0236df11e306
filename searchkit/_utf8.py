"""Text handed to what takes UTF-8 alone: a JSON reader, a web page, a terminal, the
embedding model's tokenizer.

An index keeps a document's text exactly as it was read, and a JSON document may name
characters no output can carry as they are: a lone surrogate (``"\\ud800"``, half of a
UTF-16 pair) decodes to a Python string that UTF-8 cannot encode, so writing it to a
terminal, a file or an HTTP response raises, and so does the model's tokenizer.
:func:`json_text` escapes it (the same value to a JSON reader); :func:`without_surrogates`
gives U+FFFD in its place, one character for one, so offsets into the text (a hit's
spans) stay true.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_text", "without_surrogates"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Escaped in JSON text: C1 controls and line separators (nothing a terminal or a
# JavaScript reader acts on) and lone surrogates (nothing UTF-8 cannot encode).
_ESCAPED = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def json_text(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON text that any UTF-8 output takes.  JSON escapes C0 controls
    itself; C1 controls, line separators and lone surrogates are escaped here: the same
    value to a JSON reader."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _ESCAPED.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate as U+FFFD (the replacement character)."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text

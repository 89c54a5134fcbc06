"""Vietnamese text: diacritic folding and normalisation, one definition for the whole platform.

Naming (Art. 4), the address book search and the report all fold text the same way:
NFD, drop combining marks, đ/Đ -> d/D (a letter of its own, not d + a mark).
The Roundcube address book (PHP) restates ``fold``; tests/unit/test_text.py pins both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any


def fold(text: str) -> str:
    """Strip Vietnamese diacritics and lower-case: 'Đặng Thị Ánh' -> 'dang thi anh'.

    đ/Đ is a letter of its own, not d + a combining mark, so it is mapped explicitly.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def nfc(value: Any) -> str:
    """NFC-normalise and collapse runs of whitespace (for names shown to people); None -> ''."""
    return "" if value is None else " ".join(unicodedata.normalize("NFC", str(value)).split())


def type_name(value: Any) -> str:
    """A YAML-ish name of a value's type for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty (null)"
    return f"a {type(value).__name__}"


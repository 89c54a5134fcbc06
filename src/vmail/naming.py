"""Mailbox names of Art. 4, as rules: Vietnamese text to local parts, the collision ladder.

* ``vn_localpart``, ``vn_abbrev``: Vietnamese names and unit names to ASCII local parts;
* ``ladder_forms``: the Art. 4.2b ladder of one person (and the extension rung);
* ``unit_own_part``: a unit's own part of its local part under Art. 4.1;
* ``ROLE_LOCALPARTS``: addresses no person or unit may ever get.

Who gets which form when names collide is ``vmail.allocation``; whether a personnel file is
well-formed is ``vmail.personnel``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from vmail.errors import InvalidInput
from vmail.text import fold as _fold

LOCALPART_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")
LOCALPART_MAX_LENGTH = 64

# Addresses that belong to the mail system itself (RFC 2142 and friends) or could be mistaken
# for it; no person or unit may ever get one.
ROLE_LOCALPARTS = frozenset(
    {
        "postmaster", "abuse", "hostmaster", "webmaster", "root", "noreply", "no-reply",
        "mailer-daemon", "admin", "administrator", "security", "info", "support", "dmarc",
        "tlsrpt", "mta-sts", "www", "mail", "autoconfig", "autodiscover", "vmail",
    }
)

# The unit levels whose own part is an abbreviation, and the prefix of a town (Art. 4.1).
ABBREVIATED_LEVELS = frozenset({"department", "office"})
TOWN_PREFIX = "tx"
UNIT_ID_PREFIX = "unit:"

# The conjunction "và" ("and") carries no initial in official abbreviations (Art. 4.1a).
ABBREV_SKIPPED_WORDS = frozenset({"và"})


def vn_localpart(name: str) -> str:
    """Vietnamese name or place name -> mailbox local part: 'Lê Minh Hiếu' -> 'leminhhieu'.

    Diacritics, spaces and case are dropped; đ becomes d; NFC and NFD input give the same
    result. Raises InvalidInput unless the result is a non-empty string of [a-z0-9].
    """
    if not isinstance(name, str):
        raise InvalidInput(f"vn_localpart: expected a string, got {type(name).__name__} {name!r}")
    result = "".join(_fold(name).split())
    if not re.fullmatch(r"[a-z0-9]+", result):
        raise InvalidInput(
            f"vn_localpart: {name!r} gives {result!r}; a local part needs at least one "
            "character and only letters a-z (after removing diacritics) and digits"
        )
    return result


def vn_abbrev(name: str) -> str:
    """Unit name -> its abbreviation: 'Sở Thông tin và Truyền thông' -> 'stttt'.

    The initials of the words, lower-case ASCII; "và" is skipped and hyphens and other
    punctuation separate words ('Phòng Tài chính - Kế hoạch' -> 'ptckh').
    """
    if not isinstance(name, str):
        raise InvalidInput(f"vn_abbrev: expected a string, got {type(name).__name__} {name!r}")
    words = [w for w in re.split(r"[\W_]+", unicodedata.normalize("NFC", name)) if w]
    initials = "".join(_fold(w[0]) for w in words if w.casefold() not in ABBREV_SKIPPED_WORDS)
    if not re.fullmatch(r"[a-z0-9]+", initials):
        raise InvalidInput(
            f"vn_abbrev: {name!r} gives {initials!r}; an abbreviation needs at least one word "
            "starting with a letter a-z (after removing diacritics) or a digit"
        )
    return initials


def name_words(full_name: str) -> list[str]:
    """ASCII words of a person's name; ValueError if a word is not made of letters."""
    words = [_fold(w) for w in unicodedata.normalize("NFC", full_name).split()]
    bad = [w for w in words if not re.fullmatch(r"[a-z]+", w)]
    if bad:
        raise ValueError(f"words must consist of letters only; {bad[0]!r} does not")
    return words


def ladder_from_words(words: Sequence[str], birth_year: int) -> list[tuple[str, str]]:
    """The Art. 4.2b ladder as (local part, source) pairs, repeated forms dropped."""
    surname, middles, given = words[0], words[1:-1], words[-1]
    rungs = [
        "".join(words),
        surname[0] + "".join(middles) + given,
        surname[0] + "".join(m[0] for m in middles) + given,
        "".join(words) + f"{birth_year % 100:02d}",
    ]
    forms: list[tuple[str, str]] = []
    for number, form in enumerate(rungs, start=1):
        if all(form != seen for seen, _ in forms):
            forms.append((form, f"ladder-{number}"))
    return forms


def ladder_forms(full_name: str, birth_year: int) -> list[str]:
    """The ladder of Art. 4.2b for one person, in order, without repeated forms.

    'Lê Minh Hiếu', 1977 -> ['leminhhieu', 'lminhhieu', 'lmhieu', 'leminhhieu77'];
    'Lê Hiếu', 1980 -> ['lehieu', 'lhieu', 'lehieu80'].
    """
    words = name_words(full_name)
    if len(words) < 2:
        raise InvalidInput(f"ladder_forms: {full_name!r} needs a surname and a given name")
    return [form for form, _ in ladder_from_words(words, birth_year)]


def extension_forms(words: Sequence[str], birth_year: int) -> Iterator[str]:
    """The extension rung (issue 10): full name + 4-digit year, then '.2', '.3', ..."""
    base = "".join(words) + f"{birth_year:04d}"
    yield base
    counter = 2
    while True:
        yield f"{base}.{counter}"
        counter += 1


# --------------------------------------------------------------------------------------------
# Password policy (Art. 8.1)



def unit_own_part(level: str, name: str) -> str:
    """The unit's own part of the local part under Art. 4.1 (InvalidInput if none)."""
    if level in ABBREVIATED_LEVELS:
        return vn_abbrev(name)
    place = vn_localpart(name)
    return TOWN_PREFIX + place if level == "town" else place

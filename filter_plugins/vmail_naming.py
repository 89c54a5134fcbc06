#!/usr/bin/env python3
"""Mailbox naming of the Tiền Giang provincial e-mail platform.

Decision 51/2016/QĐ-UBND, Art. 4 (mailbox names of units and people) and Art. 8.1 (password
policy), as pure, typed functions plus a thin Ansible ``FilterModule``:

* ``vn_localpart``, ``vn_abbrev``: Vietnamese text to ASCII mailbox names;
* ``password_policy_errors``: the one password policy (also a CLI, see ``main``);
* ``personnel_errors``: validation of the personnel file (schema, references, registry, the
  quota ceiling of Art. 7);
* ``mailbox_accounts``, ``account_registry``, ``naming_plan``: address allocation.

Allocation in one sentence: reserve the role addresses, every registry address (issued
addresses never move and are never reissued), the units and the ``mailbox:`` overrides; then
give each new person, in (birth_year, id) order, the first free form of the Art. 4.2b ladder
(and, only when asked, of the extension rung). See docs/naming.md.

Run as a script, the module checks a password read from stdin::

    printf '%s' "$pw" | python3 vmail_naming.py check-password --lang vi
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime
import io
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

try:
    from ansible.errors import AnsibleFilterError
except ImportError:  # the password CLI must also run where Ansible is not installed

    class AnsibleFilterError(Exception):  # type: ignore[no-redef]
        """Stand-in for ansible.errors.AnsibleFilterError outside Ansible."""


DOCUMENTATION = r"""
name: vmail_naming
short_description: Mailbox names, accounts and password policy of Decision 51/2016/QĐ-UBND
version_added: "1.0.0"
description:
  - Holds the filters C(vn_localpart), C(vn_abbrev), C(password_policy_errors),
    C(personnel_errors), C(mailbox_accounts), C(account_registry), C(naming_plan) and
    C(naming_plan_csv). Each filter's own documentation is in C(FILTER_DOCUMENTATION).
options:
  _input:
    description: See the filter's own documentation.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Show the mailbox accounts
  ansible.builtin.debug:
    msg: "{{ personnel | mailbox_accounts(registry) }}"
"""

RETURN = r"""
_value:
  description: See the filter's own documentation.
  type: raw
"""

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
LOCALPART_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")
LOCALPART_MAX_LENGTH = 64
UNIT_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PERSON_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
QUOTA_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)
QUOTA_MULTIPLIERS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

# Addresses that belong to the mail system itself (RFC 2142 and friends) or could be mistaken
# for it; no person or unit may ever get one.
ROLE_LOCALPARTS = frozenset(
    {
        "postmaster", "abuse", "hostmaster", "webmaster", "root", "noreply", "no-reply",
        "mailer-daemon", "admin", "administrator", "security", "info", "support", "dmarc",
        "tlsrpt", "mta-sts", "www", "mail", "autoconfig", "autodiscover", "vmail",
    }
)

UNIT_LEVELS = ("department", "office", "district", "town", "city", "commune")
LEVELS_NEEDING_PARENT = frozenset({"office", "commune"})
ABBREVIATED_LEVELS = frozenset({"department", "office"})
TOWN_PREFIX = "tx"
PERSON_STATUSES = ("active", "suspended", "left")
DEFAULT_QUOTA_BYTES = 524288000
# Art. 7: no mailbox above 500 MB unless the entry says why (quota_exception); vmail_quota_max.
DEFAULT_QUOTA_MAX = "500MB"
UNIT_ID_PREFIX = "unit:"
FIRST_BIRTH_YEAR = 1900

TOP_FIELDS = frozenset({"domain", "units", "people"})
UNIT_REQUIRED = ("id", "name", "level")
UNIT_OPTIONAL = frozenset({"parent", "delegates", "mailbox", "address", "phone", "fax"})
PERSON_REQUIRED = ("id", "full_name", "birth_year", "unit", "status")
PERSON_OPTIONAL = frozenset(
    {"mailbox", "title", "phone", "fax", "address", "quota", "quota_exception", "password_reset",
     "exempt_until", "exempt_reason"}
)
PERSON_TEXT_FIELDS = ("title", "phone", "fax", "address", "quota_exception", "password_reset", "exempt_reason")
UNIT_TEXT_FIELDS = ("address", "phone", "fax")

# The conjunction "và" ("and") carries no initial in official abbreviations (Art. 4.1a).
ABBREV_SKIPPED_WORDS = frozenset({"và"})

MIN_PASSWORD_LENGTH = 8
PASSWORD_REASONS = {
    "length": {
        "en": f"must be at least {MIN_PASSWORD_LENGTH} characters long",
        "vi": f"phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự",
    },
    "upper": {
        "en": "must contain an upper-case letter",
        "vi": "phải có ít nhất một chữ cái viết hoa",
    },
    "lower": {
        "en": "must contain a lower-case letter",
        "vi": "phải có ít nhất một chữ cái viết thường",
    },
    "digit": {
        "en": "must contain a digit (0-9)",
        "vi": "phải có ít nhất một chữ số (0-9)",
    },
    "special": {
        "en": "must contain a special character such as ! # % & * $ (a space does not count)",
        "vi": "phải có ít nhất một ký tự đặc biệt, ví dụ ! # % & * $ (dấu cách không được tính)",
    },
}
PASSWORD_LANGS = ("en", "vi")


# --------------------------------------------------------------------------------------------
# Text


def _fold(text: str) -> str:
    """Strip Vietnamese diacritics and lower-case: 'Đặng Thị Ánh' -> 'dang thi anh'.

    đ/Đ is a letter of its own, not d + a combining mark, so it is mapped explicitly.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _nfc(text: str) -> str:
    """NFC-normalise and collapse runs of whitespace (for names shown to people)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def vn_localpart(name: str) -> str:
    """Vietnamese name or place name -> mailbox local part: 'Lê Minh Hiếu' -> 'leminhhieu'.

    Diacritics, spaces and case are dropped; đ becomes d; NFC and NFD input give the same
    result. Raises AnsibleFilterError unless the result is a non-empty string of [a-z0-9].
    """
    if not isinstance(name, str):
        raise AnsibleFilterError(f"vn_localpart: expected a string, got {type(name).__name__} {name!r}")
    result = "".join(_fold(name).split())
    if not re.fullmatch(r"[a-z0-9]+", result):
        raise AnsibleFilterError(
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
        raise AnsibleFilterError(f"vn_abbrev: expected a string, got {type(name).__name__} {name!r}")
    words = [w for w in re.split(r"[\W_]+", unicodedata.normalize("NFC", name)) if w]
    initials = "".join(_fold(w[0]) for w in words if w.casefold() not in ABBREV_SKIPPED_WORDS)
    if not re.fullmatch(r"[a-z0-9]+", initials):
        raise AnsibleFilterError(
            f"vn_abbrev: {name!r} gives {initials!r}; an abbreviation needs at least one word "
            "starting with a letter a-z (after removing diacritics) or a digit"
        )
    return initials


def _name_words(full_name: str) -> list[str]:
    """ASCII words of a person's name; ValueError if a word is not made of letters."""
    words = [_fold(w) for w in unicodedata.normalize("NFC", full_name).split()]
    bad = [w for w in words if not re.fullmatch(r"[a-z]+", w)]
    if bad:
        raise ValueError(f"words must consist of letters only; {bad[0]!r} does not")
    return words


def _ladder_from_words(words: Sequence[str], birth_year: int) -> list[tuple[str, str]]:
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
    words = _name_words(full_name)
    if len(words) < 2:
        raise AnsibleFilterError(f"ladder_forms: {full_name!r} needs a surname and a given name")
    return [form for form, _ in _ladder_from_words(words, birth_year)]


def _extension_forms(words: Sequence[str], birth_year: int) -> Iterator[str]:
    """The extension rung (issue 10): full name + 4-digit year, then '.2', '.3', ..."""
    base = "".join(words) + f"{birth_year:04d}"
    yield base
    counter = 2
    while True:
        yield f"{base}.{counter}"
        counter += 1


# --------------------------------------------------------------------------------------------
# Password policy (Art. 8.1)


def _is_special(char: str) -> bool:
    """Visible non-alphanumeric ASCII counts as special: the regulation's list (! # % & *, and
    $ in its example) is of examples, all of them visible symbols. A space may be part of a
    password but is not the special character: it is not a symbol, and it is the character
    users and clients most often add or lose by accident."""
    return "!" <= char <= "~" and not char.isalnum()


def password_policy_errors(password: str, lang: str = "en") -> list[str]:
    """Reasons why ``password`` breaks Art. 8.1, in ``lang`` ('en' or 'vi'); [] if compliant.

    At least 8 characters, an upper-case letter, a lower-case letter, a digit and a special
    character (any visible non-alphanumeric ASCII character; a space does not count).
    """
    if lang not in PASSWORD_LANGS:
        raise AnsibleFilterError(f"password_policy_errors: lang must be one of {PASSWORD_LANGS}, got {lang!r}")
    if not isinstance(password, str):
        raise AnsibleFilterError(
            f"password_policy_errors: expected a string, got {type(password).__name__}"
        )
    checks = {
        "length": len(password) >= MIN_PASSWORD_LENGTH,
        "upper": any(c.isupper() for c in password),
        "lower": any(c.islower() for c in password),
        "digit": any(c in "0123456789" for c in password),
        "special": any(_is_special(c) for c in password),
    }
    return [PASSWORD_REASONS[rule][lang] for rule, passed in checks.items() if not passed]


# --------------------------------------------------------------------------------------------
# Validation of the personnel file


@dataclasses.dataclass(frozen=True)
class Unit:
    """A validated unit of the personnel file."""

    index: int
    id: str
    name: str
    level: str
    parent: str
    delegates: tuple[str, ...]
    mailbox: str
    address: str
    phone: str
    fax: str


@dataclasses.dataclass(frozen=True)
class Person:
    """A validated person of the personnel file."""

    index: int
    id: str
    full_name: str
    words: tuple[str, ...]
    birth_year: int
    unit: str
    status: str
    mailbox: str
    title: str
    phone: str
    fax: str
    address: str
    quota_bytes: int | None
    quota: str
    quota_exception: str
    password_reset: str
    exempt_until: str


@dataclasses.dataclass(frozen=True)
class Personnel:
    """A validated personnel file."""

    domain: str
    units: tuple[Unit, ...]
    people: tuple[Person, ...]


def _type_name(value: Any) -> str:
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


def _describe(kind: str, index: int, entry: Any, name_field: str) -> str:
    """'people[12] (id 0042, Nguyễn Văn An)': how an entry is named in messages."""
    label = f"{kind}[{index}]"
    if not isinstance(entry, Mapping):
        return label
    parts = []
    if entry.get("id") is not None:
        parts.append(f"id {entry['id']}")
    if isinstance(entry.get(name_field), str) and entry[name_field].strip():
        parts.append(_nfc(entry[name_field]))
    return f"{label} ({', '.join(parts)})" if parts else label


def parse_quota(value: Any) -> int:
    """'1GB', '500 MiB', '1.5G' or a positive int -> bytes (K/M/G/T are powers of 1024)."""
    if isinstance(value, bool):
        raise ValueError("must be a size such as 1GB or a number of bytes, not a boolean")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (match := QUOTA_RE.match(value)):
        size = int(float(match.group(1)) * QUOTA_MULTIPLIERS[match.group(2).lower()])
    else:
        raise ValueError(f"must be a size such as 1GB, 500MB or a number of bytes, got {value!r}")
    if size <= 0:
        raise ValueError(f"must be positive, got {value!r}")
    return size


@dataclasses.dataclass(frozen=True)
class QuotaCeiling:
    """The largest quota without an exception (Art. 7, vmail_quota_max), as given and in bytes."""

    label: str
    size_bytes: int


def quota_ceiling(value: Any) -> QuotaCeiling:
    """vmail_quota_max ('500MB' or bytes) -> QuotaCeiling; AnsibleFilterError if it is no size."""
    try:
        size = parse_quota(value)
    except ValueError as exc:
        raise AnsibleFilterError(f"quota_max (vmail_quota_max, the quota ceiling of Art. 7) {exc}") from exc
    label = f"{value} bytes" if isinstance(value, int) else str(value).strip()
    return QuotaCeiling(label=label, size_bytes=size)


def _iso_date(value: Any) -> str:
    """A YAML date (or 'YYYY-MM-DD' string) -> 'YYYY-MM-DD'; ValueError otherwise."""
    if isinstance(value, datetime.datetime):
        raise ValueError(f"must be a date (YYYY-MM-DD) without a time, got {value!r}")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and ISO_DATE_RE.match(value):
        return datetime.date.fromisoformat(value).isoformat()
    raise ValueError(f"must be an ISO date such as 2026-06-30, got {value!r}")


class _Errors:
    """Collects error messages, each naming the file, the entry and the field."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []

    def add(self, where: str, field: str | None, message: str) -> None:
        """Record one error."""
        field_part = f"field '{field}': " if field else ""
        self.messages.append(f"{self.source}: {where}: {field_part}{message}")


def _check_fields(errors: _Errors, where: str, entry: Mapping, required: Sequence[str],
                  optional: frozenset[str]) -> None:
    """Missing required fields and unknown fields."""
    for field in required:
        if field not in entry or entry[field] is None:
            errors.add(where, field, "is required")
    for field in entry:
        if field not in required and field not in optional:
            allowed = ", ".join(sorted({*required, *optional}))
            errors.add(where, str(field), f"unknown field (allowed: {allowed})")


def _check_text(errors: _Errors, where: str, entry: Mapping, field: str) -> None:
    """An optional free-text field must be a string (a number must be quoted)."""
    if field in entry and not isinstance(entry[field], str):
        hint = " (quote it)" if isinstance(entry[field], (int, float)) else ""
        errors.add(where, field, f"must be a string{hint}, got {_type_name(entry[field])} {entry[field]!r}")


def _check_mailbox(errors: _Errors, where: str, entry: Mapping) -> None:
    """A `mailbox:` override must be a valid, non-role local part."""
    if "mailbox" not in entry:
        return
    value = entry["mailbox"]
    if not isinstance(value, str) or not LOCALPART_RE.match(value):
        errors.add(where, "mailbox", f"must be a local part like 'nguyenvanan' or 'tanphuoc.ptckh' "
                   f"(a-z, 0-9, single dots inside), got {value!r}")
    elif len(value) > LOCALPART_MAX_LENGTH:
        errors.add(where, "mailbox", f"must be at most {LOCALPART_MAX_LENGTH} characters, got {len(value)}")
    elif value in ROLE_LOCALPARTS:
        errors.add(where, "mailbox", f"'{value}' is a reserved role address")


def _check_id(errors: _Errors, where: str, entry: Mapping, pattern: re.Pattern, example: str) -> str | None:
    """The entry's id as a string if it is well-formed, else None (error recorded)."""
    value = entry.get("id")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        errors.add(where, "id", f"must be a quoted string such as id: \"{example}\"; YAML read the "
                   f"unquoted id as the number {value} (a leading 0 even makes it octal)")
        return None
    if not isinstance(value, str) or not pattern.match(value):
        errors.add(where, "id", f"must be a string like \"{example}\", got {value!r}")
        return None
    return value


def _unit_own_part(level: str, name: str) -> str:
    """The unit's own part of the local part under Art. 4.1 (AnsibleFilterError if none)."""
    if level in ABBREVIATED_LEVELS:
        return vn_abbrev(name)
    place = vn_localpart(name)
    return TOWN_PREFIX + place if level == "town" else place


def _check_unit(errors: _Errors, index: int, entry: Any) -> str | None:
    """Validate one unit entry's own fields; return its id if usable."""
    where = _describe("units", index, entry, "name")
    if not isinstance(entry, Mapping):
        errors.add(where, None, f"must be a mapping, got {_type_name(entry)}")
        return None
    _check_fields(errors, where, entry, UNIT_REQUIRED, UNIT_OPTIONAL)
    unit_id = _check_id(errors, where, entry, UNIT_ID_RE, "tanphuoc-ptckh")
    name, level = entry.get("name"), entry.get("level")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        errors.add(where, "name", f"must be a non-empty string, got {name!r}")
    if level is not None and level not in UNIT_LEVELS:
        errors.add(where, "level", f"must be one of {', '.join(UNIT_LEVELS)}, got {level!r}")
    elif level in LEVELS_NEEDING_PARENT and entry.get("parent") is None:
        errors.add(where, "parent", f"is required for a unit of level {level}")
    if (isinstance(name, str) and name.strip() and level in UNIT_LEVELS
            and "mailbox" not in entry):
        try:
            _unit_own_part(level, name)
        except AnsibleFilterError as exc:
            errors.add(where, "name", f"gives no mailbox name ({exc}); add a mailbox: override")
    if "parent" in entry and not isinstance(entry["parent"], str):
        errors.add(where, "parent", f"must be a unit id, got {entry['parent']!r}")
    _check_mailbox(errors, where, entry)
    for field in UNIT_TEXT_FIELDS:
        _check_text(errors, where, entry, field)
    return unit_id


def _check_person(errors: _Errors, index: int, entry: Any, this_year: int, ceiling: QuotaCeiling) -> str | None:
    """Validate one person entry's own fields; return their id if usable."""
    where = _describe("people", index, entry, "full_name")
    if not isinstance(entry, Mapping):
        errors.add(where, None, f"must be a mapping, got {_type_name(entry)}")
        return None
    _check_fields(errors, where, entry, PERSON_REQUIRED, PERSON_OPTIONAL)
    person_id = _check_id(errors, where, entry, PERSON_ID_RE, "0042")
    _check_full_name(errors, where, entry.get("full_name"))
    year = entry.get("birth_year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not FIRST_BIRTH_YEAR <= year <= this_year):
        errors.add(where, "birth_year", f"must be a whole year from {FIRST_BIRTH_YEAR} to {this_year}, got {year!r}")
    if entry.get("unit") is not None and not isinstance(entry["unit"], str):
        errors.add(where, "unit", f"must be a unit id, got {entry['unit']!r}")
    status = entry.get("status")
    if status is not None and status not in PERSON_STATUSES:
        errors.add(where, "status", f"must be one of {', '.join(PERSON_STATUSES)}, got {status!r}")
    _check_mailbox(errors, where, entry)
    for field in PERSON_TEXT_FIELDS:
        _check_text(errors, where, entry, field)
    _check_quota(errors, where, entry, ceiling)
    _check_exemption(errors, where, entry)
    return person_id


def _check_quota(errors: _Errors, where: str, entry: Mapping, ceiling: QuotaCeiling) -> None:
    """A quota is a positive size, at most the ceiling unless quota_exception says why."""
    exception = entry.get("quota_exception")
    if "quota_exception" in entry and isinstance(exception, str) and not exception.strip():
        errors.add(where, "quota_exception", "must say why this mailbox may exceed the quota ceiling "
                   "(e.g. \"Lãnh đạo UBND tỉnh\"), got an empty string")
    if "quota" not in entry:
        if "quota_exception" in entry:
            errors.add(where, "quota", "is required with quota_exception (the quota the exception allows)")
        return
    try:
        size = parse_quota(entry["quota"])
    except ValueError as exc:
        errors.add(where, "quota", str(exc))
        return
    if size > ceiling.size_bytes and "quota_exception" not in entry:
        errors.add(where, "quota", f"{entry['quota']} is above the quota ceiling of {ceiling.label} "
                   f"(vmail_quota_max, Art. 7); lower it to at most {ceiling.label}, or add "
                   "quota_exception: \"<reason>\" (who decided and why, e.g. \"Lãnh đạo UBND tỉnh\")")


def _check_full_name(errors: _Errors, where: str, full_name: Any) -> None:
    """A person's name: a string of at least two words of letters."""
    if full_name is None:
        return
    if not isinstance(full_name, str):
        errors.add(where, "full_name", f"must be a string, got {_type_name(full_name)}")
        return
    try:
        words = _name_words(full_name)
    except ValueError as exc:
        errors.add(where, "full_name", f"{exc} (in {full_name!r})")
        return
    if len(words) < 2:
        errors.add(where, "full_name", f"needs at least a surname and a given name (Art. 4.2a), "
                   f"got {full_name!r}")


def _check_exemption(errors: _Errors, where: str, entry: Mapping) -> None:
    """exempt_until (an ISO date) and exempt_reason come together."""
    if "exempt_until" in entry:
        try:
            _iso_date(entry["exempt_until"])
        except ValueError as exc:
            errors.add(where, "exempt_until", str(exc))
        if not entry.get("exempt_reason"):
            errors.add(where, "exempt_reason", "is required with exempt_until (say why: long leave, secondment...)")
    elif "exempt_reason" in entry:
        errors.add(where, "exempt_until", "is required with exempt_reason (the date the exemption ends)")


def _check_duplicates(errors: _Errors, kind: str, entries: Sequence[Any], ids: Sequence[str | None],
                      name_field: str) -> None:
    """An id may appear once per list."""
    first_index: dict[str, int] = {}
    for index, entry_id in enumerate(ids):
        if entry_id is None:
            continue
        if entry_id in first_index:
            errors.add(_describe(kind, index, entries[index], name_field), "id",
                       f"duplicate id '{entry_id}' (also {kind}[{first_index[entry_id]}])")
        else:
            first_index[entry_id] = index


def _check_references(errors: _Errors, units: Sequence[Any], unit_ids: Sequence[str | None],
                      people: Sequence[Any], person_ids: Sequence[str | None]) -> None:
    """Parents, units of people and delegates must exist; the unit tree has no cycles."""
    known_units = {u for u in unit_ids if u is not None}
    status_of = {pid: people[i].get("status") for i, pid in enumerate(person_ids) if pid is not None}
    parent_of: dict[str, str] = {}
    for index, entry in enumerate(units):
        if not isinstance(entry, Mapping):
            continue
        where = _describe("units", index, entry, "name")
        parent = entry.get("parent")
        if isinstance(parent, str):
            if parent not in known_units:
                errors.add(where, "parent", f"unit '{parent}' does not exist")
            elif parent == entry.get("id"):
                errors.add(where, "parent", "a unit cannot be its own parent")
            elif unit_ids[index] is not None:
                parent_of[unit_ids[index]] = parent
        _check_delegates(errors, where, entry, status_of)
    for index, entry in enumerate(people):
        unit = entry.get("unit") if isinstance(entry, Mapping) else None
        if isinstance(unit, str) and unit not in known_units:
            errors.add(_describe("people", index, entry, "full_name"), "unit", f"unit '{unit}' does not exist")
    _check_cycles(errors, units, unit_ids, parent_of)


def _check_delegates(errors: _Errors, where: str, entry: Mapping, status_of: Mapping[str, Any]) -> None:
    """Delegates: a list of existing person ids, none of them gone."""
    if "delegates" not in entry:
        return
    delegates = entry["delegates"]
    if not isinstance(delegates, list):
        errors.add(where, "delegates", f"must be a list of person ids, got {_type_name(delegates)}")
        return
    seen: set[str] = set()
    for delegate in delegates:
        if isinstance(delegate, int) and not isinstance(delegate, bool):
            errors.add(where, "delegates", f"person ids must be quoted strings; write \"{delegate:04d}\" "
                       f"rather than {delegate}")
        elif not isinstance(delegate, str):
            errors.add(where, "delegates", f"must list person ids, got {delegate!r}")
        elif delegate not in status_of:
            errors.add(where, "delegates", f"person '{delegate}' does not exist")
        elif status_of[delegate] == "left":
            errors.add(where, "delegates", f"person '{delegate}' has left; choose another delegate")
        elif delegate in seen:
            errors.add(where, "delegates", f"person '{delegate}' is listed twice")
        if isinstance(delegate, str):
            seen.add(delegate)


def _check_cycles(errors: _Errors, units: Sequence[Any], unit_ids: Sequence[str | None],
                  parent_of: Mapping[str, str]) -> None:
    """Report every unit that is its own ancestor."""
    for index, unit_id in enumerate(unit_ids):
        if unit_id is None:
            continue
        seen = [unit_id]
        current = parent_of.get(unit_id)
        while current is not None and current not in seen:
            seen.append(current)
            current = parent_of.get(current)
        if current == unit_id:
            chain = " -> ".join([*seen, unit_id])
            errors.add(_describe("units", index, units[index], "name"), "parent", f"the parents form a cycle: {chain}")


def _schema_errors(personnel: Any, source: str, this_year: int, ceiling: QuotaCeiling) -> list[str]:
    """Every schema and reference error of a personnel file."""
    errors = _Errors(source)
    if not isinstance(personnel, Mapping):
        errors.add("top level", None, f"must be a mapping with domain, units and people, got {_type_name(personnel)}")
        return errors.messages
    _check_fields(errors, "top level", personnel, ("domain", "units", "people"), frozenset())
    domain = personnel.get("domain")
    if domain is not None and (not isinstance(domain, str) or not DOMAIN_RE.match(domain)):
        errors.add("top level", "domain", f"must be a lower-case domain name like tiengiang.gov.vn, got {domain!r}")
    units, people = personnel.get("units"), personnel.get("people")
    for field, value in (("units", units), ("people", people)):
        if value is not None and not isinstance(value, list):
            errors.add("top level", field, f"must be a list, got {_type_name(value)}")
    units = units if isinstance(units, list) else []
    people = people if isinstance(people, list) else []
    unit_ids = [_check_unit(errors, i, entry) for i, entry in enumerate(units)]
    person_ids = [_check_person(errors, i, entry, this_year, ceiling) for i, entry in enumerate(people)]
    _check_duplicates(errors, "units", units, unit_ids, "name")
    _check_duplicates(errors, "people", people, person_ids, "full_name")
    _check_references(errors, units, unit_ids, people, person_ids)
    return errors.messages


def _registry_errors(registry: Any, domain: Any, registry_source: str) -> list[str]:
    """The registry: a mapping id -> address in the domain, one id per address."""
    errors = _Errors(registry_source)
    if registry is None:
        return []
    if not isinstance(registry, Mapping):
        errors.add("top level", None, f"must be a mapping of id to address, got {_type_name(registry)}")
        return errors.messages
    owner_of: dict[str, str] = {}
    for key, address in registry.items():
        where = f"entry '{key}'"
        if not isinstance(key, str) or not key:
            errors.add(where, None, f"ids must be quoted strings, got {_type_name(key)} {key!r}")
            continue
        localpart, at, address_domain = address.partition("@") if isinstance(address, str) else ("", "", "")
        if not at or not LOCALPART_RE.match(localpart) or len(localpart) > LOCALPART_MAX_LENGTH:
            errors.add(where, None, f"must be an address like name@{domain}, got {address!r}")
        elif isinstance(domain, str) and address_domain != domain:
            errors.add(where, None, f"address {address!r} is not in the domain {domain}")
        elif localpart in ROLE_LOCALPARTS:
            errors.add(where, None, f"address {address!r} is a reserved role address")
        elif address in owner_of:
            errors.add(where, None, f"address {address!r} is also registered to '{owner_of[address]}'; "
                       "an address belongs to one id only")
        else:
            owner_of[address] = key
    return errors.messages


def _build_personnel(personnel: Mapping) -> Personnel:
    """The typed model of a personnel file that passed the schema checks."""
    units = tuple(
        Unit(
            index=i, id=u["id"], name=_nfc(u["name"]), level=u["level"], parent=u.get("parent", ""),
            delegates=tuple(u.get("delegates", ())), mailbox=u.get("mailbox", ""),
            address=_nfc(u.get("address", "")), phone=u.get("phone", "").strip(), fax=u.get("fax", "").strip(),
        )
        for i, u in enumerate(personnel["units"])
    )
    people = tuple(
        Person(
            index=i, id=p["id"], full_name=_nfc(p["full_name"]), words=tuple(_name_words(p["full_name"])),
            birth_year=p["birth_year"], unit=p["unit"], status=p["status"], mailbox=p.get("mailbox", ""),
            title=_nfc(p.get("title", "")), phone=p.get("phone", "").strip(), fax=p.get("fax", "").strip(),
            address=_nfc(p.get("address", "")),
            quota_bytes=parse_quota(p["quota"]) if "quota" in p else None,
            quota=str(p["quota"]).strip() if "quota" in p else "",
            quota_exception=_nfc(p.get("quota_exception", "")),
            password_reset=p.get("password_reset", ""),
            exempt_until=_iso_date(p["exempt_until"]) if "exempt_until" in p else "",
        )
        for i, p in enumerate(personnel["people"])
    )
    return Personnel(domain=personnel["domain"], units=units, people=people)


# --------------------------------------------------------------------------------------------
# Allocation


@dataclasses.dataclass
class Allocation:
    """Result of allocating local parts: id -> (local part, source), plus problems."""

    chosen: dict[str, tuple[str, str]]
    conflicts: list[str]
    unresolved: list[Person]
    suggestions: dict[str, str]


def _unit_order(units: Sequence[Unit]) -> list[Unit]:
    """Units with every parent before its children, ties by id (file order is irrelevant)."""
    by_id = {u.id: u for u in units}

    def depth(unit: Unit) -> int:
        level = 0
        while unit.parent:
            unit, level = by_id[unit.parent], level + 1
        return level

    return sorted(units, key=lambda u: (depth(u), u.id))


def _owner_label(owner: str, units: Mapping[str, Unit], people: Mapping[str, Person]) -> str:
    """Who holds a local part, in words."""
    if owner == "":
        return "a reserved role address"
    if owner.startswith(UNIT_ID_PREFIX) and owner[len(UNIT_ID_PREFIX):] in units:
        unit = units[owner[len(UNIT_ID_PREFIX):]]
        return f"unit {unit.id} ({unit.name})"
    if owner in people:
        return f"person {owner} ({people[owner].full_name})"
    return f"'{owner}' in the registry (addresses are never reissued)"


def _where_unit(unit: Unit) -> str:
    return f"units[{unit.index}] (id {unit.id}, {unit.name})"


def _where_person(person: Person) -> str:
    return f"people[{person.index}] (id {person.id}, {person.full_name})"


def _allocate(model: Personnel, registry: Mapping[str, str], extension: bool, source: str) -> Allocation:
    """Give every unit and person a local part (see the module docstring for the order)."""
    errors = _Errors(source)
    units = {u.id: u for u in model.units}
    people = {p.id: p for p in model.people}
    registered = {key: address.partition("@")[0] for key, address in registry.items()}
    reserved: dict[str, str] = dict.fromkeys(ROLE_LOCALPARTS, "")
    reserved.update({lp: key for key, lp in registered.items()})
    chosen: dict[str, tuple[str, str]] = {}

    def claim(key: str, localpart: str, how: str, where: str, field: str) -> None:
        holder = reserved.get(localpart)
        if holder is not None and holder != key:
            ask = "give one of them a different mailbox: override" if how != "override" else "choose another mailbox:"
            errors.add(where, field, f"{localpart}@{model.domain} is already taken by "
                       f"{_owner_label(holder, units, people)}; {ask}")
            return
        reserved[localpart] = key
        chosen[key] = (localpart, how)

    for unit in _unit_order(model.units):
        key = UNIT_ID_PREFIX + unit.id
        if key in registered:
            chosen[key] = (registered[key], "registry")
            if unit.mailbox and unit.mailbox != registered[key]:
                errors.add(_where_unit(unit), "mailbox", _moved_message(unit.mailbox, registered[key], model.domain))
        elif unit.mailbox:
            claim(key, unit.mailbox, "override", _where_unit(unit), "mailbox")
        else:
            parent_part = chosen.get(UNIT_ID_PREFIX + unit.parent, ("", ""))[0] if unit.parent else ""
            own = _unit_own_part(unit.level, unit.name)
            claim(key, f"{parent_part}.{own}" if parent_part else own, "unit-rule", _where_unit(unit), "name")

    newcomers = []
    for person in sorted(model.people, key=lambda p: p.id):
        if person.id in registered:
            chosen[person.id] = (registered[person.id], "registry")
            if person.mailbox and person.mailbox != registered[person.id]:
                errors.add(_where_person(person), "mailbox",
                           _moved_message(person.mailbox, registered[person.id], model.domain))
        elif person.mailbox:
            claim(person.id, person.mailbox, "override", _where_person(person), "mailbox")
        else:
            newcomers.append(person)

    unresolved = []
    for person in sorted(newcomers, key=lambda p: (p.birth_year, p.id)):
        localpart = _first_free(person, reserved, extension)
        if localpart is None:
            unresolved.append(person)
        else:
            reserved[localpart[0]] = person.id
            chosen[person.id] = localpart
    suggestions = {}
    for person in unresolved:
        suggestion = _first_free(person, reserved, True)
        assert suggestion is not None  # the extension rung never runs out
        reserved[suggestion[0]] = person.id
        suggestions[person.id] = suggestion[0]
    return Allocation(chosen=chosen, conflicts=errors.messages, unresolved=unresolved, suggestions=suggestions)


def _moved_message(wanted: str, registered: str, domain: str) -> str:
    return (f"'{wanted}' differs from {registered}@{domain}, the address this id was issued; "
            f"an issued address never moves (Art. 4.2b): remove the override or set it to '{registered}'")


def _first_free(person: Person, reserved: Mapping[str, str], extension: bool) -> tuple[str, str] | None:
    """The first ladder form (then extension form, if enabled) nobody holds."""
    for form, how in _ladder_from_words(person.words, person.birth_year):
        if form not in reserved:
            return form, how
    if extension:
        for form in _extension_forms(person.words, person.birth_year):
            if form not in reserved:
                return form, "extension"
    return None


def _check_all(personnel: Any, source: str, registry: Any, registry_source: str, extension: bool,
               ceiling: QuotaCeiling, this_year: int | None = None,
               ) -> tuple[list[str], Personnel | None, Allocation | None]:
    """Validate everything; if valid, also allocate. Returns (errors, model, allocation)."""
    if not isinstance(extension, bool):
        raise AnsibleFilterError(f"extension must be true or false, got {extension!r} (use '| bool')")
    year = this_year or datetime.date.today().year
    errors = _schema_errors(personnel, source, year, ceiling)
    domain = personnel.get("domain") if isinstance(personnel, Mapping) else None
    errors += _registry_errors(registry, domain, registry_source)
    if errors:
        return errors, None, None
    model = _build_personnel(personnel)
    allocation = _allocate(model, dict(registry or {}), extension, source)
    return allocation.conflicts, model, allocation


def personnel_errors(personnel: Any, source: str = "personnel.yml", registry: Any = None,
                     registry_source: str = "registry.yml", quota_max: Any = DEFAULT_QUOTA_MAX) -> list[str]:
    """All problems of a personnel file and registry, as messages; [] when valid.

    Schema, references, registry, quotas above ``quota_max`` (vmail_quota_max) without a
    ``quota_exception``, and the address conflicts no ladder can fix (units that come out the
    same, overrides taken by someone else, overrides moving an issued address). An exhausted
    ladder is not an error here: see ``naming_plan``.
    """
    errors, _, _ = _check_all(personnel, source, registry, registry_source, False, quota_ceiling(quota_max))
    return errors


def _raise_if_invalid(errors: list[str], source: str) -> None:
    if errors:
        raise AnsibleFilterError(f"{source} is invalid ({len(errors)} problems):\n" + "\n".join(errors))


def _group_unresolved(unresolved: Sequence[Person], suggestions: Mapping[str, str]) -> list[dict[str, Any]]:
    """Unresolved people grouped by (ASCII) name, with the override each one needs."""
    groups: dict[str, list[Person]] = {}
    for person in sorted(unresolved, key=lambda p: ("".join(p.words), p.id)):
        groups.setdefault("".join(person.words), []).append(person)
    result = []
    for members in groups.values():
        years = {p.birth_year for p in members}
        group: dict[str, Any] = {"name": members[0].full_name}
        if len(years) == 1:
            group["birth_year"] = members[0].birth_year
        group["people"] = [
            {"id": p.id, "full_name": p.full_name, "birth_year": p.birth_year, "unit": p.unit,
             "suggested_mailbox": suggestions[p.id], "quota": p.quota, "quota_exception": p.quota_exception}
            for p in members
        ]
        group["override_hint"] = "; ".join(
            f"{_where_person(p)}: mailbox: {suggestions[p.id]}" for p in members
        )
        result.append(group)
    return result


def _exhausted_message(groups: Sequence[Mapping[str, Any]], source: str) -> str:
    count = sum(len(g["people"]) for g in groups)
    lines = [
        f"{source}: the naming ladder of Art. 4.2b is exhausted for {count} {'person' if count == 1 else 'people'}; nothing was "
        f"changed. Add a mailbox: override to each of them in {source} (suggestions below), or "
        "enable the extension rung (vmail_naming_extension: true, see docs/naming.md):"
    ]
    for group in groups:
        born = f" (born {group['birth_year']})" if "birth_year" in group else ""
        lines.append(f"  {group['name']}{born}: {group['override_hint']}")
    return "\n".join(lines)


def _accounts(model: Personnel, allocation: Allocation) -> list[dict[str, Any]]:
    """Account dicts of every unit and person, sorted by address."""
    units = {u.id: u for u in model.units}
    address = {key: f"{lp}@{model.domain}" for key, (lp, _) in allocation.chosen.items()}
    accounts = [
        {
            "id": UNIT_ID_PREFIX + u.id, "kind": "unit",
            "localpart": allocation.chosen[UNIT_ID_PREFIX + u.id][0], "address": address[UNIT_ID_PREFIX + u.id],
            "display_name": u.name, "unit": u.id, "unit_name": u.name, "status": "active",
            "quota_bytes": 0, "delegates": [address[d] for d in u.delegates if d in address],
            "title": "", "phone": u.phone, "fax": u.fax, "postal_address": u.address,
            "password_reset": "", "exempt_until": "", "source": allocation.chosen[UNIT_ID_PREFIX + u.id][1],
        }
        for u in model.units
    ]
    accounts += [
        {
            "id": p.id, "kind": "person", "localpart": allocation.chosen[p.id][0], "address": address[p.id],
            "display_name": p.full_name, "unit": p.unit, "unit_name": units[p.unit].name, "status": p.status,
            "quota_bytes": 0, "delegates": [], "title": p.title, "phone": p.phone, "fax": p.fax,
            "postal_address": p.address, "password_reset": p.password_reset, "exempt_until": p.exempt_until,
            "source": allocation.chosen[p.id][1],
        }
        for p in model.people
        if p.id in allocation.chosen
    ]
    return sorted(accounts, key=lambda a: a["address"])


def mailbox_accounts(personnel: Any, registry: Any = None, extension: bool = False,
                     default_quota_bytes: int = DEFAULT_QUOTA_BYTES, source: str = "personnel.yml",
                     registry_source: str = "registry.yml", quota_max: Any = DEFAULT_QUOTA_MAX,
                     ) -> list[dict[str, Any]]:
    """Every mailbox account (units and people), sorted by address.

    Raises AnsibleFilterError with all problems if the file is invalid (a quota above
    ``quota_max`` without quota_exception included), or with every unresolved person (grouped
    by name, with the override to write) if the ladder runs out.
    """
    if isinstance(default_quota_bytes, bool) or not isinstance(default_quota_bytes, int) or default_quota_bytes <= 0:
        raise AnsibleFilterError(f"mailbox_accounts: default_quota_bytes must be a positive integer, got {default_quota_bytes!r}")
    ceiling = quota_ceiling(quota_max)
    if default_quota_bytes > ceiling.size_bytes:
        raise AnsibleFilterError(f"mailbox_accounts: the default quota ({default_quota_bytes} bytes, vmail_mailbox_quota) "
                                 f"is above the quota ceiling of {ceiling.label} (vmail_quota_max, Art. 7)")
    errors, model, allocation = _check_all(personnel, source, registry, registry_source, extension, ceiling)
    _raise_if_invalid(errors, source)
    assert model is not None and allocation is not None
    if allocation.unresolved:
        raise AnsibleFilterError(_exhausted_message(_group_unresolved(allocation.unresolved, allocation.suggestions), source))
    quota_of = {p.id: p.quota_bytes for p in model.people}
    accounts = _accounts(model, allocation)
    for account in accounts:
        account["quota_bytes"] = quota_of.get(account["id"]) or default_quota_bytes
    return accounts


def account_registry(accounts: Any, old_registry: Any = None) -> dict[str, str]:
    """id -> address for every account plus every old entry (addresses are never reissued).

    Sorted by id, so the registry file only changes where an address is added.
    """
    if not isinstance(accounts, list) or not all(isinstance(a, Mapping) and "id" in a and "address" in a for a in accounts):
        raise AnsibleFilterError("account_registry: expected the list returned by mailbox_accounts")
    if old_registry is not None and not isinstance(old_registry, Mapping):
        raise AnsibleFilterError(f"account_registry: the old registry must be a mapping, got {_type_name(old_registry)}")
    registry = {str(k): str(v) for k, v in (old_registry or {}).items()}
    for account in accounts:
        previous = registry.get(account["id"])
        if previous is not None and previous != account["address"]:
            raise AnsibleFilterError(
                f"account_registry: id {account['id']} was issued {previous}, the accounts say "
                f"{account['address']}; an issued address never moves (pass the same registry to mailbox_accounts)"
            )
        registry[account["id"]] = account["address"]
    return dict(sorted(registry.items()))


def _quota_exceptions(model: Personnel, ceiling: QuotaCeiling) -> list[dict[str, Any]]:
    """The people whose quota is above the ceiling (each by quota_exception), in file order."""
    return [
        {"id": p.id, "name": p.full_name, "unit": p.unit, "quota": p.quota, "quota_bytes": p.quota_bytes,
         "quota_exception": p.quota_exception, "ceiling": ceiling.label}
        for p in model.people
        if p.quota_bytes is not None and p.quota_bytes > ceiling.size_bytes
    ]


def quota_exceptions(personnel: Any, quota_max: Any = DEFAULT_QUOTA_MAX) -> list[dict[str, Any]]:
    """The people of a valid personnel file above ``quota_max``: id, name, unit, quota, why.

    For a file ``mailbox_accounts`` accepted (every quota above the ceiling has its
    quota_exception); only the entries with a quota are looked at, so 20k people cost nothing.
    """
    ceiling = quota_ceiling(quota_max)
    people = personnel.get("people") if isinstance(personnel, Mapping) else None
    result = []
    for entry in people if isinstance(people, list) else []:
        if not isinstance(entry, Mapping) or "quota" not in entry:
            continue
        try:
            size = parse_quota(entry["quota"])
        except ValueError as exc:
            raise AnsibleFilterError(f"quota_exceptions: id {entry.get('id')}: field 'quota' {exc}") from exc
        if size > ceiling.size_bytes:
            result.append({"id": entry.get("id"), "name": _nfc(str(entry.get("full_name", ""))),
                           "unit": entry.get("unit"), "quota": str(entry["quota"]).strip(), "quota_bytes": size,
                           "quota_exception": _nfc(str(entry.get("quota_exception", ""))),
                           "ceiling": ceiling.label})
    return result


def naming_plan(personnel: Any, registry: Any = None, extension: bool = False,
                source: str = "personnel.yml", registry_source: str = "registry.yml",
                quota_max: Any = DEFAULT_QUOTA_MAX) -> dict[str, list[dict[str, Any]]]:
    """What a run would do: new addresses, kept (registry) addresses and unresolved people.

    Never raises on an exhausted ladder (the point is to show HR every clash at once); raises
    AnsibleFilterError only if the file or registry is invalid. ``retired`` lists registry
    entries whose id is gone from the file (their addresses stay reserved);
    ``quota_exceptions`` the people above the quota ceiling ``quota_max`` and why.
    """
    ceiling = quota_ceiling(quota_max)
    errors, model, allocation = _check_all(personnel, source, registry, registry_source, extension, ceiling)
    _raise_if_invalid(errors, source)
    assert model is not None and allocation is not None
    registry = registry or {}
    people = {p.id: p for p in model.people}
    plan: dict[str, list[dict[str, Any]]] = {"new": [], "kept": [], "unresolved": [], "retired": [],
                                             "quota_exceptions": _quota_exceptions(model, ceiling)}
    for account in _accounts(model, allocation):
        who = people.get(account["id"])
        plan["kept" if account["id"] in registry else "new"].append({
            "id": account["id"], "name": account["display_name"], "address": account["address"],
            "source": account["source"], "kind": account["kind"], "unit": account["unit"],
            "birth_year": who.birth_year if who else None, "quota": who.quota if who else "",
            "quota_exception": who.quota_exception if who else "",
        })
    plan["unresolved"] = _group_unresolved(allocation.unresolved, allocation.suggestions)
    known = set(allocation.chosen) | {p.id for p in model.people}
    plan["retired"] = [{"id": k, "address": v} for k, v in sorted(registry.items()) if k not in known]
    return plan


NAMING_PLAN_CSV_COLUMNS = ("status", "id", "full_name", "birth_year", "unit", "address", "source", "hint",
                           "quota", "quota_exception")


def naming_plan_csv(plan: Any) -> str:
    """A naming plan as CSV (columns NAMING_PLAN_CSV_COLUMNS): unresolved, then new, then kept."""
    if not isinstance(plan, Mapping) or not all(k in plan for k in ("new", "kept", "unresolved")):
        raise AnsibleFilterError("naming_plan_csv: expected the dict returned by naming_plan")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(NAMING_PLAN_CSV_COLUMNS)
    for group in plan["unresolved"]:
        for person in group["people"]:
            writer.writerow(["unresolved", person["id"], person["full_name"], person["birth_year"], person["unit"],
                             "", "", f"mailbox: {person['suggested_mailbox']}", person.get("quota", ""),
                             person.get("quota_exception", "")])
    for status in ("new", "kept"):
        for entry in plan[status]:
            year = entry.get("birth_year")
            writer.writerow([status, entry["id"], entry["name"], "" if year is None else year, entry["unit"],
                             entry["address"], entry["source"], "", entry.get("quota", ""),
                             entry.get("quota_exception", "")])
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Ansible glue


FILTER_DOCUMENTATION = {
    "vn_localpart": (
        r"""
name: vn_localpart
short_description: Vietnamese name to mailbox local part (Art. 4.1b, 4.2a)
description:
  - Drops diacritics, spaces and case; đ becomes d; NFC and NFD input alike.
  - Fails unless the result is a non-empty string of a-z and 0-9.
options:
  _input: {description: A person's full name or a place name., type: str, required: true}
""",
        "{{ 'Lê Minh Hiếu' | vn_localpart }}  # leminhhieu",
    ),
    "vn_abbrev": (
        r"""
name: vn_abbrev
short_description: Unit name to its abbreviation (Art. 4.1a)
description:
  - Initials of the words, lower-case ASCII; the conjunction "và" and punctuation are skipped.
options:
  _input: {description: The unit's name., type: str, required: true}
""",
        "{{ 'Phòng Tài chính - Kế hoạch' | vn_abbrev }}  # ptckh",
    ),
    "password_policy_errors": (
        r"""
name: password_policy_errors
short_description: Reasons a password breaks Art. 8.1 (empty list if compliant)
options:
  _input: {description: The password., type: str, required: true}
  lang: {description: Language of the reasons., type: str, choices: [en, vi], default: en}
""",
        "{{ 'MatKhau$789' | password_policy_errors }}  # []",
    ),
    "personnel_errors": (
        r"""
name: personnel_errors
short_description: Every problem of the personnel file and the registry (empty list if valid)
options:
  _input: {description: The parsed personnel file., type: dict, required: true}
  source: {description: File name used in messages., type: str, default: personnel.yml}
  registry: {description: Issued addresses, id to address., type: dict, default: {}}
  registry_source: {description: Registry file name used in messages., type: str, default: registry.yml}
  quota_max:
    description: Quota ceiling (vmail_quota_max, Art. 7); a larger quota needs quota_exception.
    type: raw
    default: 500MB
""",
        "{{ personnel | personnel_errors('inventories/lab/personnel.yml', registry, quota_max=vmail_quota_max) }}",
    ),
    "mailbox_accounts": (
        r"""
name: mailbox_accounts
short_description: Mailbox accounts of all units and people, sorted by address
options:
  _input: {description: The parsed personnel file., type: dict, required: true}
  registry: {description: Issued addresses, id to address., type: dict, default: {}}
  extension: {description: Use the extension rung beyond the regulation (issue 10)., type: bool, default: false}
  default_quota_bytes: {description: Quota of people without a quota field., type: int, default: 524288000}
  quota_max:
    description: Quota ceiling (vmail_quota_max, Art. 7); a larger quota needs quota_exception.
    type: raw
    default: 500MB
""",
        "{{ personnel | mailbox_accounts(registry, extension=false) }}",
    ),
    "account_registry": (
        r"""
name: account_registry
short_description: The registry to write back, id to address, old entries kept
options:
  _input: {description: The list returned by mailbox_accounts., type: list, required: true}
  old_registry: {description: The registry read before the run., type: dict, default: {}}
""",
        "{{ accounts | account_registry(registry) | to_nice_yaml }}",
    ),
    "naming_plan": (
        r"""
name: naming_plan
short_description: New, kept and unresolved addresses, and quota exceptions, without failing on clashes
options:
  _input: {description: The parsed personnel file., type: dict, required: true}
  registry: {description: Issued addresses, id to address., type: dict, default: {}}
  extension: {description: Use the extension rung., type: bool, default: false}
  quota_max:
    description: Quota ceiling (vmail_quota_max); people above it are listed in quota_exceptions.
    type: raw
    default: 500MB
""",
        "{{ personnel | naming_plan(registry) }}",
    ),
    "naming_plan_csv": (
        r"""
name: naming_plan_csv
short_description: A naming plan as CSV (status,id,full_name,birth_year,unit,address,source,hint,quota,quota_exception)
options:
  _input: {description: The dict returned by naming_plan., type: dict, required: true}
""",
        "{{ personnel | naming_plan(registry) | naming_plan_csv }}",
    ),
}


class FilterModule:
    """Ansible entry point: the filter names mapped to the functions above."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> function."""
        return {
            "vn_localpart": vn_localpart,
            "vn_abbrev": vn_abbrev,
            "password_policy_errors": password_policy_errors,
            "personnel_errors": personnel_errors,
            "mailbox_accounts": mailbox_accounts,
            "account_registry": account_registry,
            "naming_plan": naming_plan,
            "naming_plan_csv": naming_plan_csv,
        }


# --------------------------------------------------------------------------------------------
# Command line: one password policy for components that are not Python/Ansible


def main(argv: Sequence[str] | None = None, stdin: io.TextIOBase | None = None,
         stdout: io.TextIOBase | None = None) -> int:
    """``check-password [--lang en|vi]``: read a password from stdin, print the reasons.

    Exit 0 and print nothing if it complies, exit 1 and one reason per line otherwise. Only
    the final line break of the input is removed (spaces may belong to the password).
    """
    parser = argparse.ArgumentParser(description="Check a password against Art. 8.1 of Decision 51/2016/QĐ-UBND.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-password", help="read the password from stdin")
    check.add_argument("--lang", choices=PASSWORD_LANGS, default="en")
    args = parser.parse_args(argv)
    data = (stdin or sys.stdin).read()
    password = data[:-2] if data.endswith("\r\n") else data[:-1] if data.endswith("\n") else data
    reasons = password_policy_errors(password, args.lang)
    for reason in reasons:
        print(reason, file=stdout or sys.stdout)
    return 1 if reasons else 0


if __name__ == "__main__":
    sys.exit(main())

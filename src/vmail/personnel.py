"""The personnel file HR edits (Art. 4, 5, 7): its schema, its validation, its typed model.

``schema_errors`` and ``registry_errors`` name every problem at once (file, entry, field);
``build_personnel`` turns a file that passed them into ``Personnel``. Statuses are
``vmail.statuses``, sizes ``vmail.sizes``, the naming rules ``vmail.naming``.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from vmail.errors import InvalidInput
from vmail.naming import LOCALPART_MAX_LENGTH, LOCALPART_RE, ROLE_LOCALPARTS
from vmail.naming import name_words as name_words
from vmail.naming import unit_own_part as unit_own_part
from vmail.sizes import QuotaCeiling, parse_quota
from vmail.statuses import PERSON_STATUSES
from vmail.text import nfc as _nfc
from vmail.text import type_name as _type_name

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
UNIT_ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PERSON_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNIT_LEVELS = ("department", "office", "district", "town", "city", "commune")
LEVELS_NEEDING_PARENT = frozenset({"office", "commune"})
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


def describe(kind: str, index: int, entry: Any, name_field: str) -> str:
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



def iso_date(value: Any) -> str:
    """A YAML date (or 'YYYY-MM-DD' string) -> 'YYYY-MM-DD'; ValueError otherwise."""
    if isinstance(value, datetime.datetime):
        raise ValueError(f"must be a date (YYYY-MM-DD) without a time, got {value!r}")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and ISO_DATE_RE.match(value):
        return datetime.date.fromisoformat(value).isoformat()
    raise ValueError(f"must be an ISO date such as 2026-06-30, got {value!r}")


class Errors:
    """Collects error messages, each naming the file, the entry and the field."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.messages: list[str] = []

    def add(self, where: str, field: str | None, message: str) -> None:
        """Record one error."""
        field_part = f"field '{field}': " if field else ""
        self.messages.append(f"{self.source}: {where}: {field_part}{message}")


def _check_fields(errors: Errors, where: str, entry: Mapping[str, Any], required: Sequence[str],
                  optional: frozenset[str]) -> None:
    """Missing required fields and unknown fields."""
    for field in required:
        if field not in entry or entry[field] is None:
            errors.add(where, field, "is required")
    for field in entry:
        if field not in required and field not in optional:
            allowed = ", ".join(sorted({*required, *optional}))
            errors.add(where, str(field), f"unknown field (allowed: {allowed})")


def _check_text(errors: Errors, where: str, entry: Mapping[str, Any], field: str) -> None:
    """An optional free-text field must be a string (a number must be quoted)."""
    if field in entry and not isinstance(entry[field], str):
        hint = " (quote it)" if isinstance(entry[field], (int, float)) else ""
        errors.add(where, field, f"must be a string{hint}, got {_type_name(entry[field])} {entry[field]!r}")


def _check_mailbox(errors: Errors, where: str, entry: Mapping[str, Any]) -> None:
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


def _check_id(errors: Errors, where: str, entry: Mapping[str, Any], pattern: re.Pattern[str], example: str) -> str | None:
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




def _check_unit(errors: Errors, index: int, entry: Any) -> str | None:
    """Validate one unit entry's own fields; return its id if usable."""
    where = describe("units", index, entry, "name")
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
            unit_own_part(level, name)
        except InvalidInput as exc:
            errors.add(where, "name", f"gives no mailbox name ({exc}); add a mailbox: override")
    if "parent" in entry and not isinstance(entry["parent"], str):
        errors.add(where, "parent", f"must be a unit id, got {entry['parent']!r}")
    _check_mailbox(errors, where, entry)
    for field in UNIT_TEXT_FIELDS:
        _check_text(errors, where, entry, field)
    return unit_id


def _check_person(errors: Errors, index: int, entry: Any, this_year: int, ceiling: QuotaCeiling) -> str | None:
    """Validate one person entry's own fields; return their id if usable."""
    where = describe("people", index, entry, "full_name")
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


def _check_quota(errors: Errors, where: str, entry: Mapping[str, Any], ceiling: QuotaCeiling) -> None:
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


def _check_full_name(errors: Errors, where: str, full_name: Any) -> None:
    """A person's name: a string of at least two words of letters."""
    if full_name is None:
        return
    if not isinstance(full_name, str):
        errors.add(where, "full_name", f"must be a string, got {_type_name(full_name)}")
        return
    try:
        words = name_words(full_name)
    except ValueError as exc:
        errors.add(where, "full_name", f"{exc} (in {full_name!r})")
        return
    if len(words) < 2:
        errors.add(where, "full_name", f"needs at least a surname and a given name (Art. 4.2a), "
                   f"got {full_name!r}")


def _check_exemption(errors: Errors, where: str, entry: Mapping[str, Any]) -> None:
    """exempt_until (an ISO date) and exempt_reason come together."""
    if "exempt_until" in entry:
        try:
            iso_date(entry["exempt_until"])
        except ValueError as exc:
            errors.add(where, "exempt_until", str(exc))
        if not entry.get("exempt_reason"):
            errors.add(where, "exempt_reason", "is required with exempt_until (say why: long leave, secondment...)")
    elif "exempt_reason" in entry:
        errors.add(where, "exempt_until", "is required with exempt_reason (the date the exemption ends)")


def _check_duplicates(errors: Errors, kind: str, entries: Sequence[Any], ids: Sequence[str | None],
                      name_field: str) -> None:
    """An id may appear once per list."""
    first_index: dict[str, int] = {}
    for index, entry_id in enumerate(ids):
        if entry_id is None:
            continue
        if entry_id in first_index:
            errors.add(describe(kind, index, entries[index], name_field), "id",
                       f"duplicate id '{entry_id}' (also {kind}[{first_index[entry_id]}])")
        else:
            first_index[entry_id] = index


def _check_references(errors: Errors, units: Sequence[Any], unit_ids: Sequence[str | None],
                      people: Sequence[Any], person_ids: Sequence[str | None]) -> None:
    """Parents, units of people and delegates must exist; the unit tree has no cycles."""
    known_units = {u for u in unit_ids if u is not None}
    status_of = {pid: people[i].get("status") for i, pid in enumerate(person_ids) if pid is not None}
    parent_of: dict[str, str] = {}
    for index, entry in enumerate(units):
        if not isinstance(entry, Mapping):
            continue
        where = describe("units", index, entry, "name")
        parent = entry.get("parent")
        if isinstance(parent, str):
            if parent not in known_units:
                errors.add(where, "parent", f"unit '{parent}' does not exist")
            elif parent == entry.get("id"):
                errors.add(where, "parent", "a unit cannot be its own parent")
            elif (unit_id := unit_ids[index]) is not None:
                parent_of[unit_id] = parent
        _check_delegates(errors, where, entry, status_of)
    for index, entry in enumerate(people):
        unit = entry.get("unit") if isinstance(entry, Mapping) else None
        if isinstance(unit, str) and unit not in known_units:
            errors.add(describe("people", index, entry, "full_name"), "unit", f"unit '{unit}' does not exist")
    _check_cycles(errors, units, unit_ids, parent_of)


def _check_delegates(errors: Errors, where: str, entry: Mapping[str, Any], status_of: Mapping[str, Any]) -> None:
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


def _check_cycles(errors: Errors, units: Sequence[Any], unit_ids: Sequence[str | None],
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
            errors.add(describe("units", index, units[index], "name"), "parent", f"the parents form a cycle: {chain}")


def schema_errors(personnel: Any, source: str, this_year: int, ceiling: QuotaCeiling) -> list[str]:
    """Every schema and reference error of a personnel file."""
    errors = Errors(source)
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


def registry_errors(registry: Any, domain: Any, registry_source: str) -> list[str]:
    """The registry: a mapping id -> address in the domain, one id per address."""
    errors = Errors(registry_source)
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


def build_personnel(personnel: Mapping[str, Any]) -> Personnel:
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
            index=i, id=p["id"], full_name=_nfc(p["full_name"]), words=tuple(name_words(p["full_name"])),
            birth_year=p["birth_year"], unit=p["unit"], status=p["status"], mailbox=p.get("mailbox", ""),
            title=_nfc(p.get("title", "")), phone=p.get("phone", "").strip(), fax=p.get("fax", "").strip(),
            address=_nfc(p.get("address", "")),
            quota_bytes=parse_quota(p["quota"]) if "quota" in p else None,
            quota=str(p["quota"]).strip() if "quota" in p else "",
            quota_exception=_nfc(p.get("quota_exception", "")),
            password_reset=p.get("password_reset", ""),
            exempt_until=iso_date(p["exempt_until"]) if "exempt_until" in p else "",
        )
        for i, p in enumerate(personnel["people"])
    )
    return Personnel(domain=personnel["domain"], units=units, people=people)


# --------------------------------------------------------------------------------------------
# Allocation

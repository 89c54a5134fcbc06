"""Address allocation (Art. 4.2): who gets which address, for a whole personnel file.

Allocation in one sentence: reserve the role addresses, every registry address (issued
addresses never move and are never reissued), the units and the ``mailbox:`` overrides; then
give each new person, in (birth_year, id) order, the first free form of the Art. 4.2b ladder
(and, only when asked, of the extension rung). See docs/naming.md.

* ``personnel_errors``: every problem of a personnel file and its registry;
* ``mailbox_accounts``, ``account_registry``: the accounts and the registry to write back;
* ``naming_plan``, ``naming_plan_csv``: what a run would do, for HR to read.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
from collections.abc import Mapping, Sequence
from typing import Any

from vmail.errors import InvalidInput
from vmail.naming import ROLE_LOCALPARTS, UNIT_ID_PREFIX
from vmail.naming import extension_forms as _extension_forms
from vmail.naming import ladder_from_words as _ladder_from_words
from vmail.naming import unit_own_part as _unit_own_part
from vmail.naming import vn_localpart
from vmail.personnel import Errors as _Errors
from vmail.personnel import Person, Personnel, Unit
from vmail.personnel import build_personnel as _build_personnel
from vmail.personnel import registry_errors as _registry_errors
from vmail.personnel import schema_errors as _schema_errors
from vmail.sizes import DEFAULT_QUOTA_BYTES, DEFAULT_QUOTA_MAX, QuotaCeiling, parse_quota, quota_ceiling
from vmail.text import nfc as _nfc
from vmail.text import type_name as _type_name


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
        raise InvalidInput(f"extension must be true or false, got {extension!r} (use '| bool')")
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
        raise InvalidInput(f"{source} is invalid ({len(errors)} problems):\n" + "\n".join(errors))


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

    Raises InvalidInput with all problems if the file is invalid (a quota above
    ``quota_max`` without quota_exception included), or with every unresolved person (grouped
    by name, with the override to write) if the ladder runs out.
    """
    if isinstance(default_quota_bytes, bool) or not isinstance(default_quota_bytes, int) or default_quota_bytes <= 0:
        raise InvalidInput(f"mailbox_accounts: default_quota_bytes must be a positive integer, got {default_quota_bytes!r}")
    ceiling = quota_ceiling(quota_max)
    if default_quota_bytes > ceiling.size_bytes:
        raise InvalidInput(f"mailbox_accounts: the default quota ({default_quota_bytes} bytes, vmail_mailbox_quota) "
                                 f"is above the quota ceiling of {ceiling.label} (vmail_quota_max, Art. 7)")
    errors, model, allocation = _check_all(personnel, source, registry, registry_source, extension, ceiling)
    _raise_if_invalid(errors, source)
    assert model is not None and allocation is not None
    if allocation.unresolved:
        raise InvalidInput(_exhausted_message(_group_unresolved(allocation.unresolved, allocation.suggestions), source))
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
        raise InvalidInput("account_registry: expected the list returned by mailbox_accounts")
    if old_registry is not None and not isinstance(old_registry, Mapping):
        raise InvalidInput(f"account_registry: the old registry must be a mapping, got {_type_name(old_registry)}")
    registry = {str(k): str(v) for k, v in (old_registry or {}).items()}
    for account in accounts:
        previous = registry.get(account["id"])
        if previous is not None and previous != account["address"]:
            raise InvalidInput(
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
            raise InvalidInput(f"quota_exceptions: id {entry.get('id')}: field 'quota' {exc}") from exc
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
    InvalidInput only if the file or registry is invalid. ``retired`` lists registry
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
        raise InvalidInput("naming_plan_csv: expected the dict returned by naming_plan")
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

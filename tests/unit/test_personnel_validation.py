"""personnel_errors: every schema, reference and registry error, each naming file, entry and field."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from vmail.errors import InvalidInput

from vmail.allocation import mailbox_accounts, naming_plan, personnel_errors

from conftest import person

SOURCE = "inventories/lab/personnel.yml"


def errors_of(personnel: dict[str, Any], registry: Any = None) -> list[str]:
    return personnel_errors(personnel, SOURCE, registry or {})


def test_valid_file_has_no_errors(personnel: dict[str, Any]) -> None:
    assert errors_of(personnel) == []


def test_default_source(personnel: dict[str, Any]) -> None:
    personnel["people"][0]["status"] = "gone"
    assert personnel_errors(personnel)[0].startswith("personnel.yml: people[0] (id 0001, Lê Minh Hiếu): field 'status'")


# (mutation of people[1], field named, fragment of the message)
PERSON_CASES = [
    ({"id": 42}, "id", "quoted string"),
    ({"id": "has space"}, "id", "must be a string like"),
    ({"full_name": "Hiếu"}, "full_name", "surname and a given name"),
    ({"full_name": "Lê 3"}, "full_name", "letters only"),
    ({"full_name": 7}, "full_name", "must be a string"),
    ({"birth_year": 1899}, "birth_year", "from 1900"),
    ({"birth_year": datetime.date.today().year + 1}, "birth_year", "from 1900"),
    ({"birth_year": "1977"}, "birth_year", "whole year"),
    ({"birth_year": True}, "birth_year", "whole year"),
    ({"unit": "nowhere"}, "unit", "does not exist"),
    ({"status": "retired"}, "status", "active, suspended, left"),
    ({"mailbox": "Le.Hieu"}, "mailbox", "local part"),
    ({"mailbox": "a..b"}, "mailbox", "local part"),
    ({"mailbox": "postmaster"}, "mailbox", "reserved role address"),
    ({"mailbox": "a" * 65}, "mailbox", "at most 64"),
    ({"phone": 2733871234}, "phone", "quote it"),
    ({"title": ["x"]}, "title", "must be a string"),
    ({"quota": "lots"}, "quota", "size such as 1GB"),
    ({"quota": 0}, "quota", "positive"),
    ({"quota": False}, "quota", "boolean"),
    ({"password_reset": 20240101}, "password_reset", "quote it"),
    ({"exempt_until": "30/06/2026", "exempt_reason": "Biệt phái"}, "exempt_until", "ISO date"),
    ({"exempt_until": "2026-06-30"}, "exempt_reason", "is required with exempt_until"),
    ({"exempt_reason": "Nghỉ dài hạn"}, "exempt_until", "is required with exempt_reason"),
    ({"nickname": "Hiếu"}, "nickname", "unknown field"),
    ({"status": None}, "status", "is required"),
]


@pytest.mark.parametrize(("change", "field", "fragment"), PERSON_CASES)
def test_person_errors_name_file_entry_field(personnel: dict[str, Any], change: dict[str, Any], field: str,
                                            fragment: str) -> None:
    entry = person("0042", "Nguyễn Văn An")
    entry.update(change)
    personnel["people"].append(entry)
    errors = errors_of(personnel)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{SOURCE}: people[1] (id ")
    assert f"field '{field}'" in errors[0]
    assert fragment in errors[0]


def test_person_entry_is_named_by_id_and_name(personnel: dict[str, Any]) -> None:
    personnel["people"].append(person("0042", "Nguyễn Văn An", status="gone"))
    assert errors_of(personnel)[0].startswith(f"{SOURCE}: people[1] (id 0042, Nguyễn Văn An): field 'status'")


UNIT_CASES = [
    ({"level": "province"}, "level", "must be one of"),
    ({"level": "commune"}, "parent", "is required"),
    ({"parent": "nowhere"}, "parent", "does not exist"),
    ({"parent": "newunit"}, "parent", "own parent"),
    ({"name": ""}, "name", "non-empty"),
    ({"name": "- -"}, "name", "gives no mailbox name"),
    ({"delegates": "0001"}, "delegates", "list of person ids"),
    ({"delegates": ["9999"]}, "delegates", "does not exist"),
    ({"delegates": [1]}, "delegates", "quoted strings"),
    ({"delegates": ["0001", "0001"]}, "delegates", "listed twice"),
    ({"mailbox": "abuse"}, "mailbox", "reserved role address"),
    ({"fax": 2733}, "fax", "quote it"),
    ({"email": "x@y"}, "email", "unknown field"),
    ({"id": "Bad_Id"}, "id", "must be a string like"),
]


@pytest.mark.parametrize(("change", "field", "fragment"), UNIT_CASES)
def test_unit_errors_name_file_entry_field(personnel: dict[str, Any], change: dict[str, Any], field: str,
                                          fragment: str) -> None:
    entry = {"id": "newunit", "name": "Sở Xây dựng", "level": "department"}
    entry.update(change)
    personnel["units"].append(entry)
    errors = errors_of(personnel)
    index = len(personnel["units"]) - 1
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{SOURCE}: units[{index}] (id ")
    assert f"field '{field}'" in errors[0]
    assert fragment in errors[0]


def test_delegate_who_left(personnel: dict[str, Any]) -> None:
    personnel["people"][0]["status"] = "left"
    errors = errors_of(personnel)
    assert errors == [f"{SOURCE}: units[0] (id stttt, Sở Thông tin và Truyền thông): field 'delegates': "
                      "person '0001' has left; choose another delegate"]


def test_parent_cycle(personnel: dict[str, Any]) -> None:
    personnel["units"] += [
        {"id": "a", "name": "Phòng A", "level": "office", "parent": "b"},
        {"id": "b", "name": "Phòng B", "level": "office", "parent": "a"},
    ]
    errors = errors_of(personnel)
    assert len(errors) == 2
    assert all("cycle" in e and "field 'parent'" in e for e in errors)


def test_duplicate_ids(personnel: dict[str, Any]) -> None:
    personnel["people"].append(person("0001", "Trần Văn Bình"))
    personnel["units"].append({"id": "chogao", "name": "Chợ Gạo", "level": "district"})
    errors = errors_of(personnel)
    assert any("people[1] (id 0001, Trần Văn Bình): field 'id': duplicate id '0001' (also people[0])" in e for e in errors)
    assert any("units[9] (id chogao, Chợ Gạo): field 'id': duplicate id 'chogao' (also units[2])" in e for e in errors)


def test_top_level(personnel: dict[str, Any]) -> None:
    personnel["domain"] = "TienGiang"
    personnel["extra"] = 1
    del personnel["units"]
    errors = errors_of(personnel)
    assert f"{SOURCE}: top level: field 'units': is required" in errors
    assert any("field 'extra': unknown field" in e for e in errors)
    assert any("field 'domain': must be a lower-case domain" in e for e in errors)
    assert errors_of([]) == [f"{SOURCE}: top level: must be a mapping with domain, units and people, got a list"]


def test_all_errors_reported_not_just_the_first(personnel: dict[str, Any]) -> None:
    personnel["people"] += [
        person("0002", "Hiếu"),
        person(3, "Trần Văn Bình"),
        person("0004", "Phạm Thị Cúc", birth_year=1800, status="gone", unit="nowhere"),
    ]
    personnel["units"].append({"id": "x", "name": "Xã X", "level": "commune"})
    errors = errors_of(personnel)
    assert len(errors) == 6, errors
    for fragment in ("people[1]", "people[2]", "field 'birth_year'", "field 'status'", "field 'unit'", "units[9]"):
        assert any(fragment in e for e in errors), fragment


def test_registry_checks(personnel: dict[str, Any]) -> None:
    registry = {
        "0001": "leminhhieu@tiengiang.gov.vn",
        "0002": "leminhhieu@tiengiang.gov.vn",
        "0003": "someone@example.com",
        "0004": "not an address",
        "0005": "postmaster@tiengiang.gov.vn",
        5: "x@tiengiang.gov.vn",
    }
    errors = personnel_errors(personnel, SOURCE, registry)
    assert len(errors) == 5, errors
    assert all(e.startswith("registry.yml: entry '") for e in errors)
    assert any("also registered to '0001'" in e for e in errors)
    assert any("not in the domain" in e for e in errors)
    assert any("reserved role address" in e for e in errors)
    assert any("quoted strings" in e for e in errors)


def test_conflicts_are_errors(personnel: dict[str, Any]) -> None:
    personnel["units"].append({"id": "chogao2", "name": "Chợ  Gạo", "level": "district"})
    personnel["people"].append(person("0002", "Trần Văn Bình", mailbox="stttt"))
    personnel["people"].append(person("0003", "Trần Văn Cường", mailbox="tranvancuong"))
    errors = personnel_errors(personnel, SOURCE, {"0003": "tvcuong@tiengiang.gov.vn"})
    assert len(errors) == 3, errors
    assert any("units[9] (id chogao2, Chợ Gạo): field 'name': chogao@tiengiang.gov.vn is already taken by "
               "unit chogao (Chợ Gạo)" in e and "mailbox: override" in e for e in errors)
    assert any("people[1] (id 0002, Trần Văn Bình): field 'mailbox': stttt@" in e for e in errors)
    assert any("people[2] (id 0003, Trần Văn Cường): field 'mailbox'" in e and "never moves" in e for e in errors)


def test_invalid_file_raises_with_all_errors(personnel: dict[str, Any]) -> None:
    personnel["people"] += [person("0002", "Hiếu"), person("0003", "Bùi Văn Dũng", status="x")]
    for call in (lambda: mailbox_accounts(personnel, {}), lambda: naming_plan(personnel, {})):
        with pytest.raises(InvalidInput) as info:
            call()
        assert "people[1]" in str(info.value) and "people[2]" in str(info.value)


def test_dates_from_yaml_accepted(personnel: dict[str, Any]) -> None:
    personnel["people"][0].update(exempt_until=datetime.date(2026, 6, 30), exempt_reason="Biệt phái")
    assert errors_of(personnel) == []
    accounts = {a["id"]: a for a in mailbox_accounts(personnel, {})}
    assert accounts["0001"]["exempt_until"] == "2026-06-30"

"""Issue 10: same-name same-year namesakes, the strict failure, naming_plan and the extension rung."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail.allocation import account_registry, mailbox_accounts, naming_plan, naming_plan_csv

from conftest import DOMAIN, person

# Six Lê Minh Hiếu born 1977 and five Trần Văn An born 1990: the ladder has four rungs, so two
# Hiếu (0104, 0105) and one An (0204) are left over; (birth_year, id) order decides who.
NAMESAKES = [person(f"01{i:02d}", "Lê Minh Hiếu", 1977) for i in range(6)] + [
    person(f"02{i:02d}", "Trần Văn An", 1990) for i in range(5)
]
EXTENSION_FORM = re.compile(r"^[a-z]+\d{4}(\.\d+)?$")


@pytest.fixture
def crowded(personnel: dict[str, Any]) -> dict[str, Any]:
    """Everyone in SMALL_PERSONNEL except 0001 plus the namesakes."""
    personnel["units"][0].pop("delegates")
    personnel["people"] = [dict(p) for p in NAMESAKES]
    return personnel


def test_strict_mode_fails_listing_every_unresolved_person(crowded: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as info:
        mailbox_accounts(crowded, {})
    message = str(info.value)
    assert "exhausted for 3 people" in message
    for pid in ("0104", "0105", "0204"):
        assert f"(id {pid}, " in message
    assert "Lê Minh Hiếu (born 1977): " in message and "Trần Văn An (born 1990): " in message
    assert "mailbox: leminhhieu1977;" in message and "mailbox: leminhhieu1977.2" in message
    assert "mailbox: tranvanan1990" in message


def test_extension_gives_everyone_a_unique_address(crowded: dict[str, Any]) -> None:
    accounts = {a["id"]: a for a in mailbox_accounts(crowded, {}, extension=True)}
    assert accounts["0104"]["localpart"] == "leminhhieu1977"
    assert accounts["0105"]["localpart"] == "leminhhieu1977.2"
    assert accounts["0204"]["localpart"] == "tranvanan1990"
    assert {accounts[i]["source"] for i in ("0104", "0105", "0204")} == {"extension"}
    assert len({a["address"] for a in accounts.values()}) == len(accounts)


def test_extension_changes_no_address_the_strict_ladder_gives(crowded: dict[str, Any]) -> None:
    plan = naming_plan(crowded, {})
    extended = {a["id"]: a["address"] for a in mailbox_accounts(crowded, {}, extension=True)}
    for entry in plan["new"]:
        assert extended[entry["id"]] == entry["address"]


def test_rerun_shuffled_with_registry_changes_nothing(crowded: dict[str, Any]) -> None:
    first = mailbox_accounts(crowded, {}, extension=True)
    registry = account_registry(first, {})
    for seed in range(5):
        shuffled = dict(crowded, people=list(crowded["people"]))
        random.Random(seed).shuffle(shuffled["people"])
        again = mailbox_accounts(shuffled, registry, extension=True)
        assert {a["id"]: a["address"] for a in again} == {a["id"]: a["address"] for a in first}
        assert {a["source"] for a in again} == {"registry"}


def test_new_namesake_after_extension_gets_next_counter(crowded: dict[str, Any]) -> None:
    registry = account_registry(mailbox_accounts(crowded, {}, extension=True), {})
    crowded["people"].insert(0, person("0106", "Lê Minh Hiếu", 1977))
    accounts = {a["id"]: a for a in mailbox_accounts(crowded, registry, extension=True)}
    assert accounts["0106"]["localpart"] == "leminhhieu1977.3"


def test_naming_plan_groups_unresolved_by_name(crowded: dict[str, Any]) -> None:
    plan = naming_plan(crowded, {})
    assert [g["name"] for g in plan["unresolved"]] == ["Lê Minh Hiếu", "Trần Văn An"]
    hieu = plan["unresolved"][0]
    assert hieu["birth_year"] == 1977
    assert [p["id"] for p in hieu["people"]] == ["0104", "0105"]
    assert hieu["people"][0] == {"id": "0104", "full_name": "Lê Minh Hiếu", "birth_year": 1977, "unit": "stttt",
                                 "suggested_mailbox": "leminhhieu1977", "quota": "", "quota_exception": ""}
    assert "mailbox: leminhhieu1977" in hieu["override_hint"] and "mailbox: leminhhieu1977.2" in hieu["override_hint"]
    assert len(plan["new"]) == len(crowded["units"]) + len(NAMESAKES) - 3
    assert plan["kept"] == [] and plan["retired"] == []


def test_naming_plan_kept_and_retired(crowded: dict[str, Any]) -> None:
    registry = {"0100": f"leminhhieu@{DOMAIN}", "0777": f"lminhhieu@{DOMAIN}"}
    plan = naming_plan(crowded, registry, extension=True)
    assert [e["id"] for e in plan["kept"]] == ["0100"]
    assert plan["retired"] == [{"id": "0777", "address": f"lminhhieu@{DOMAIN}"}]
    assert plan["unresolved"] == []


def test_writing_the_suggested_overrides_resolves_everything(crowded: dict[str, Any]) -> None:
    plan = naming_plan(crowded, {})
    suggestions = {p["id"]: p["suggested_mailbox"] for g in plan["unresolved"] for p in g["people"]}
    for entry in crowded["people"]:
        if entry["id"] in suggestions:
            entry["mailbox"] = suggestions[entry["id"]]
    strict = {a["id"]: a["address"] for a in mailbox_accounts(crowded, {})}
    crowded_without = [{k: v for k, v in p.items() if k != "mailbox"} for p in crowded["people"]]
    extended = {a["id"]: a["address"] for a in mailbox_accounts(dict(crowded, people=crowded_without), {},
                                                                 extension=True)}
    assert strict == extended


def test_naming_plan_csv(crowded: dict[str, Any]) -> None:
    lines = naming_plan_csv(naming_plan(crowded, {})).splitlines()
    assert lines[0] == "status,id,full_name,birth_year,unit,address,source,hint,quota,quota_exception"
    assert lines[1] == "unresolved,0104,Lê Minh Hiếu,1977,stttt,,,mailbox: leminhhieu1977,,"
    assert sum(line.startswith("new,") for line in lines) == len(crowded["units"]) + len(NAMESAKES) - 3


@given(st.integers(2, 12), st.integers(1962, 2003), st.randoms(use_true_random=False))
def test_extension_property(count: int, year: int, rnd: random.Random) -> None:
    people = [person(f"{i:04d}", "Nguyễn Văn An", year) for i in range(count)]
    people = [dict(p, unit="stc") for p in people]
    personnel = {"domain": DOMAIN, "units": [{"id": "stc", "name": "Sở Tài chính", "level": "department"}],
                 "people": people}
    accounts = mailbox_accounts(personnel, {}, extension=True)
    assert len({a["address"] for a in accounts}) == len(accounts)
    extension = [a for a in accounts if a["source"] == "extension"]
    assert len(extension) == max(0, count - 4)
    assert all(EXTENSION_FORM.match(a["localpart"]) for a in extension)
    rnd.shuffle(people)
    again = mailbox_accounts(personnel, account_registry(accounts, {}), extension=True)
    assert [a["address"] for a in again] == [a["address"] for a in accounts]

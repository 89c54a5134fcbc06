"""mailbox_accounts and account_registry: the regulation's examples and the allocation properties."""

from __future__ import annotations

import random
import re
import unicodedata
from typing import Any

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail.allocation import account_registry, mailbox_accounts
from vmail.naming import ROLE_LOCALPARTS

from conftest import DOMAIN, SMALL_PERSONNEL, person

ACCOUNT_KEYS = {
    "id", "kind", "localpart", "address", "display_name", "unit", "unit_name", "status", "quota_bytes",
    "delegates", "title", "phone", "fax", "postal_address", "password_reset", "exempt_until", "source",
}
LOCALPART = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")


def by_id(accounts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in accounts}


@pytest.mark.parametrize(
    ("account_id", "localpart"),
    [
        ("unit:stttt", "stttt"),
        ("unit:chogao", "chogao"),
        ("unit:txcailay", "txcailay"),
        ("unit:txgocong", "txgocong"),
        ("unit:mytho", "mytho"),
        ("unit:tanphuoc", "tanphuoc"),
        ("unit:tanphuoc-myphuoc", "tanphuoc.myphuoc"),
        ("unit:tanphuoc-ptckh", "tanphuoc.ptckh"),
        ("unit:stttt-ttcntttt", "stttt.ttcntttt"),
    ],
)
def test_unit_examples_of_the_regulation(personnel: dict[str, Any], account_id: str, localpart: str) -> None:
    account = by_id(mailbox_accounts(personnel, {}))[account_id]
    assert account["localpart"] == localpart
    assert account["address"] == f"{localpart}@{DOMAIN}"
    assert account["source"] == "unit-rule"


def test_ladder_examples_of_the_regulation(personnel: dict[str, Any]) -> None:
    personnel["people"] = [person(f"000{i}", "Lê Minh Hiếu", 1977) for i in range(1, 5)]
    accounts = by_id(mailbox_accounts(personnel, {}))
    assert [accounts[f"000{i}"]["localpart"] for i in range(1, 5)] == [
        "leminhhieu", "lminhhieu", "lmhieu", "leminhhieu77"]
    assert [accounts[f"000{i}"]["source"] for i in range(1, 5)] == ["ladder-1", "ladder-2", "ladder-3", "ladder-4"]


def test_name_without_middle_skips_repeated_forms(personnel: dict[str, Any]) -> None:
    personnel["people"] += [person(f"00{i}", "Lê Hiếu", 1980) for i in range(10, 13)]
    accounts = by_id(mailbox_accounts(personnel, {}))
    assert [accounts[f"00{i}"]["localpart"] for i in range(10, 13)] == ["lehieu", "lhieu", "lehieu80"]
    assert accounts["0012"]["source"] == "ladder-4"


def test_account_shape(personnel: dict[str, Any]) -> None:
    personnel["people"][0].update(quota="1GB", quota_exception="Lãnh đạo sở", password_reset="2026-01",
                                  fax="0273 3 871 000", address="Số 1 đường 30/4")
    accounts = mailbox_accounts(personnel, {}, default_quota_bytes=1000)
    assert all(set(a) == ACCOUNT_KEYS for a in accounts)
    assert [a["address"] for a in accounts] == sorted(a["address"] for a in accounts)
    hieu = by_id(accounts)["0001"]
    assert hieu == {
        "id": "0001", "kind": "person", "localpart": "leminhhieu", "address": "leminhhieu@tiengiang.gov.vn",
        "display_name": "Lê Minh Hiếu", "unit": "stttt", "unit_name": "Sở Thông tin và Truyền thông",
        "status": "active", "quota_bytes": 1024**3, "delegates": [], "title": "Chuyên viên",
        "phone": "0273 3 871 234", "fax": "0273 3 871 000", "postal_address": "Số 1 đường 30/4",
        "password_reset": "2026-01", "exempt_until": "", "source": "ladder-1",
    }
    unit = by_id(accounts)["unit:stttt"]
    assert unit["kind"] == "unit" and unit["status"] == "active" and unit["quota_bytes"] == 1000
    assert unit["delegates"] == ["leminhhieu@tiengiang.gov.vn"]
    assert unit["display_name"] == unit["unit_name"] == "Sở Thông tin và Truyền thông"


def test_unit_override_replaces_whole_localpart(personnel: dict[str, Any]) -> None:
    personnel["units"][0]["mailbox"] = "sotttt"
    accounts = by_id(mailbox_accounts(personnel, {}))
    assert accounts["unit:stttt"]["localpart"] == "sotttt"
    assert accounts["unit:stttt"]["source"] == "override"
    assert accounts["unit:stttt-ttcntttt"]["localpart"] == "sotttt.ttcntttt"


def test_person_override_wins_over_ladder(personnel: dict[str, Any]) -> None:
    personnel["people"].append(person("0002", "Lê Minh Hiếu", 1977, mailbox="hieu.lm"))
    accounts = by_id(mailbox_accounts(personnel, {}))
    assert (accounts["0002"]["localpart"], accounts["0002"]["source"]) == ("hieu.lm", "override")


def test_role_addresses_never_issued(personnel: dict[str, Any]) -> None:
    personnel["people"] = [person("0001", "Ad Min", 1980), person("0002", "Vm Ail", 1980)]
    accounts = mailbox_accounts(personnel, {})
    assert not {a["localpart"] for a in accounts} & ROLE_LOCALPARTS
    assert by_id(accounts)["0001"]["localpart"] == "amin"


def test_registry_keeps_addresses_and_left_people_stay_reserved(personnel: dict[str, Any]) -> None:
    personnel["people"][0]["full_name"] = "Lê Minh Hiểu"  # a corrected name does not move the address
    registry = {"0001": "leminhhieu@tiengiang.gov.vn", "0999": "lminhhieu@tiengiang.gov.vn"}
    personnel["people"].append(person("0002", "Lê Minh Hiếu", 1960))
    accounts = by_id(mailbox_accounts(personnel, registry))
    assert (accounts["0001"]["localpart"], accounts["0001"]["source"]) == ("leminhhieu", "registry")
    assert accounts["0002"]["localpart"] == "lmhieu"
    new_registry = account_registry(list(accounts.values()), registry)
    assert new_registry["0999"] == "lminhhieu@tiengiang.gov.vn"
    assert new_registry["0002"] == "lmhieu@tiengiang.gov.vn"
    assert list(new_registry) == sorted(new_registry)


def test_unit_clashing_with_registered_person_is_an_error(personnel: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="chogao@tiengiang.gov.vn is already taken by '0777'"):
        mailbox_accounts(personnel, {"0777": "chogao@tiengiang.gov.vn"})


def test_account_registry_refuses_moved_address(personnel: dict[str, Any]) -> None:
    accounts = mailbox_accounts(personnel, {})
    with pytest.raises(InvalidInput, match="never moves"):
        account_registry(accounts, {"0001": "other@tiengiang.gov.vn"})
    with pytest.raises(InvalidInput):
        account_registry("nope")


def test_bad_arguments(personnel: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="extension"):
        mailbox_accounts(personnel, {}, extension="false")
    with pytest.raises(InvalidInput, match="default_quota_bytes"):
        mailbox_accounts(personnel, {}, default_quota_bytes=0)


# ---- properties ---------------------------------------------------------------------------

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Đặng", "Võ"]
MIDDLES = ["Văn", "Thị", "Minh", "Ngọc", "Văn Minh", ""]
GIVENS = ["An", "Bình", "Hiếu", "Hùng", "Lan", "Dũng", "Đức"]

people_strategy = st.lists(
    st.tuples(st.sampled_from(SURNAMES), st.sampled_from(MIDDLES), st.sampled_from(GIVENS),
              st.integers(1970, 1972), st.sampled_from(["active", "suspended", "left"])),
    min_size=1, max_size=40,
)


def population(rows: list[tuple[str, str, str, int, str]], start: int = 1) -> dict[str, Any]:
    people = [
        {"id": f"{start + i:04d}", "full_name": " ".join(w for w in (s, m, g) if w), "birth_year": y,
         "unit": "stttt", "status": status}
        for i, (s, m, g, y, status) in enumerate(rows)
    ]
    units = [{k: v for k, v in u.items() if k != "delegates"} for u in SMALL_PERSONNEL["units"]]
    return {"domain": DOMAIN, "units": units, "people": people}


def extended_accounts(personnel: dict[str, Any], registry: dict[str, str]) -> list[dict[str, Any]]:
    """Accounts with the extension rung, so that no random population exhausts the ladder."""
    return mailbox_accounts(personnel, registry, extension=True)


@given(people_strategy)
def test_addresses_valid_unique_deterministic(rows: list[Any]) -> None:
    personnel = population(rows)
    accounts = extended_accounts(personnel, {})
    localparts = [a["localpart"] for a in accounts]
    assert all(LOCALPART.match(lp) for lp in localparts)
    assert len(set(localparts)) == len(localparts)
    assert accounts == extended_accounts(personnel, {})


@given(people_strategy)
def test_nfc_and_nfd_give_the_same_accounts(rows: list[Any]) -> None:
    nfc = population(rows)
    nfd = population(rows)
    for entry in nfd["people"]:
        entry["full_name"] = unicodedata.normalize("NFD", entry["full_name"]).replace(" ", "  ")
    assert extended_accounts(nfc, {}) == extended_accounts(nfd, {})


@given(people_strategy, people_strategy, st.randoms(use_true_random=False))
def test_issued_addresses_are_stable(rows: list[Any], newcomers: list[Any], rnd: random.Random) -> None:
    personnel = population(rows)
    first = extended_accounts(personnel, {})
    registry = account_registry(first, {})
    later = population(rows)
    later["people"] += population(newcomers + rows, start=5000)["people"]  # namesakes of everyone
    rnd.shuffle(later["people"])
    second = by_id(extended_accounts(later, registry))
    for account in first:
        assert second[account["id"]]["address"] == account["address"]
    assert len({a["address"] for a in second.values()}) == len(second)


@given(people_strategy, st.randoms(use_true_random=False))
def test_new_people_independent_of_file_order(rows: list[Any], rnd: random.Random) -> None:
    personnel = population(rows)
    shuffled = population(rows)
    rnd.shuffle(shuffled["people"])
    rnd.shuffle(shuffled["units"])
    assert extended_accounts(personnel, {}) == extended_accounts(shuffled, {})

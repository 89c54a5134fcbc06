"""Issue 20 item 6: the quota ceiling of Art. 7 (vmail_quota_max) and its documented exception."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from vmail.errors import InvalidInput

from vmail.allocation import mailbox_accounts, naming_plan, naming_plan_csv, personnel_errors, quota_exceptions
from vmail.sizes import quota_ceiling

from conftest import person

SOURCE = "inventories/lab/personnel.yml"
MIB = 1024**2
GIB = 1024**3
REASON = "Lãnh đạo UBND tỉnh"


def with_person(personnel: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The small file plus people[1], id 0042, Nguyễn Văn An, with ``extra`` fields."""
    personnel["people"].append(person("0042", "Nguyễn Văn An", **extra))
    return personnel


def test_quota_above_the_ceiling_is_refused_naming_the_entry_and_the_limit(personnel: dict[str, Any]) -> None:
    with_person(personnel, quota="5GB")
    errors = personnel_errors(personnel, SOURCE, {})
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{SOURCE}: people[1] (id 0042, Nguyễn Văn An): field 'quota': 5GB is above "
                                "the quota ceiling of 500MB (vmail_quota_max, Art. 7)")
    assert "quota_exception" in errors[0]
    # The filters that provision refuse it too, with the same message.
    for call in (lambda: mailbox_accounts(personnel, {}), lambda: naming_plan(personnel, {})):
        with pytest.raises(InvalidInput, match=r"people\[1\] \(id 0042, Nguyễn Văn An\): field 'quota'"):
            call()


@pytest.mark.parametrize("quota", ["500MB", "500 MiB", "500M", 500 * MIB])
def test_the_exact_ceiling_is_accepted(personnel: dict[str, Any], quota: Any) -> None:
    with_person(personnel, quota=quota)
    assert personnel_errors(personnel, SOURCE, {}) == []
    accounts = {a["id"]: a for a in mailbox_accounts(personnel, {})}
    assert accounts["0042"]["quota_bytes"] == 500 * MIB
    assert naming_plan(personnel, {})["quota_exceptions"] == []


def test_one_byte_above_the_ceiling_is_refused(personnel: dict[str, Any]) -> None:
    with_person(personnel, quota=500 * MIB + 1)
    errors = personnel_errors(personnel, SOURCE, {})
    assert len(errors) == 1 and "524288001 is above the quota ceiling of 500MB" in errors[0], errors


def test_exception_is_accepted_and_shown_in_the_plan(personnel: dict[str, Any]) -> None:
    with_person(personnel, quota="1GB", quota_exception=REASON, title="Chủ tịch UBND tỉnh")
    assert personnel_errors(personnel, SOURCE, {}) == []
    accounts = {a["id"]: a for a in mailbox_accounts(personnel, {})}
    assert accounts["0042"]["quota_bytes"] == GIB
    plan = naming_plan(personnel, {})
    assert plan["quota_exceptions"] == [{
        "id": "0042", "name": "Nguyễn Văn An", "unit": "stttt", "quota": "1GB", "quota_bytes": GIB,
        "quota_exception": REASON, "ceiling": "500MB",
    }]
    new = {e["id"]: e for e in plan["new"]}
    assert (new["0042"]["quota"], new["0042"]["quota_exception"]) == ("1GB", REASON)
    assert (new["0001"]["quota"], new["0001"]["quota_exception"]) == ("", "")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(naming_plan_csv(plan)))}
    assert (rows["0042"]["quota"], rows["0042"]["quota_exception"]) == ("1GB", REASON)
    assert quota_exceptions(personnel) == plan["quota_exceptions"]


def test_exception_of_an_unresolved_person_is_in_the_plan(personnel: dict[str, Any]) -> None:
    """A person the ladder cannot place still shows their exception (plan and CSV)."""
    # Four forms on the ladder of Trần Văn Bình (1970), five of them: 0105 is left over.
    for pid in ("0101", "0102", "0103", "0104", "0105"):
        personnel["people"].append(person(pid, "Trần Văn Bình", 1970))
    personnel["people"][-1].update(quota="2GB", quota_exception=REASON)
    plan = naming_plan(personnel, {})
    assert [p["id"] for g in plan["unresolved"] for p in g["people"]] == ["0105"]
    assert [e["id"] for e in plan["quota_exceptions"]] == ["0105"]
    rows = [r for r in csv.DictReader(io.StringIO(naming_plan_csv(plan))) if r["status"] == "unresolved"]
    assert [(r["id"], r["quota"], r["quota_exception"]) for r in rows] == [("0105", "2GB", REASON)]


def test_another_quota_max_is_honoured(personnel: dict[str, Any]) -> None:
    with_person(personnel, quota="1GB")
    assert personnel_errors(personnel, SOURCE, {}, quota_max="1GB") == []
    assert naming_plan(personnel, {}, quota_max="1GB")["quota_exceptions"] == []
    personnel["people"][1]["quota"] = "300MB"
    assert personnel_errors(personnel, SOURCE, {}) == []
    errors = personnel_errors(personnel, SOURCE, {}, quota_max="200MB")
    assert len(errors) == 1, errors
    assert "(id 0042, Nguyễn Văn An): field 'quota': 300MB is above the quota ceiling of 200MB" in errors[0]
    with pytest.raises(InvalidInput, match="quota ceiling of 200MB"):
        mailbox_accounts(personnel, {}, default_quota_bytes=100 * MIB, quota_max="200MB")
    personnel["people"][1]["quota_exception"] = REASON
    plan = naming_plan(personnel, {}, quota_max="200MB")
    assert [(e["id"], e["ceiling"]) for e in plan["quota_exceptions"]] == [("0042", "200MB")]
    # A ceiling in bytes is named in bytes.
    assert "ceiling of 209715200 bytes" in personnel_errors(
        dict(personnel, people=[personnel["people"][0], person("0043", "Võ Thị Lan", quota="300MB")]),
        SOURCE, {}, quota_max=200 * MIB)[0]


@pytest.mark.parametrize(("change", "field", "fragment"), [
    ({"quota": "1GB", "quota_exception": ""}, "quota_exception", "must say why"),
    ({"quota": "1GB", "quota_exception": 7}, "quota_exception", "must be a string"),
    ({"quota_exception": REASON}, "quota", "is required with quota_exception"),
])
def test_quota_exception_must_be_a_reason_with_a_quota(personnel: dict[str, Any], change: dict[str, Any],
                                                       field: str, fragment: str) -> None:
    with_person(personnel, **change)
    errors = personnel_errors(personnel, SOURCE, {})
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{SOURCE}: people[1] (id 0042, Nguyễn Văn An): field '{field}'")
    assert fragment in errors[0]


def test_exception_within_the_ceiling_is_harmless_and_not_listed(personnel: dict[str, Any]) -> None:
    with_person(personnel, quota="400MB", quota_exception=REASON)
    assert personnel_errors(personnel, SOURCE, {}) == []
    assert naming_plan(personnel, {})["quota_exceptions"] == []


@pytest.mark.parametrize("value", ["lots", 0, -5, True, None])
def test_invalid_quota_max_is_refused(personnel: dict[str, Any], value: Any) -> None:
    with pytest.raises(InvalidInput, match="vmail_quota_max"):
        personnel_errors(personnel, SOURCE, {}, quota_max=value)


def test_default_quota_above_the_ceiling_is_refused(personnel: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match=r"default quota .*vmail_mailbox_quota.* above the quota ceiling "
                                                 r"of 500MB"):
        mailbox_accounts(personnel, {}, default_quota_bytes=GIB)


def test_quota_ceiling_label_and_bytes() -> None:
    assert quota_ceiling("500MB").size_bytes == quota_ceiling(524288000).size_bytes == 524288000
    assert quota_ceiling(" 1GB ").label == "1GB"
    assert quota_ceiling(524288000).label == "524288000 bytes"

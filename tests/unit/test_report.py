"""The yearly report (Art. 12.6, 12.8, 15.5) against a known dataset: every number is worked out by hand."""

from __future__ import annotations

import copy
import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail.statuses import PERSON_STATUSES
from vmail.report import (
    CSV_HEADER,
    agency_totals,
    report_agencies_csv,
    lifecycle_events,
    report_files,
    report_html,
    report_province_csv,
    report_unit_csv,
    yearly_report,
)

MIB = 1048576
Q500 = 524288000
GIB = 1073741824
D = "tiengiang.gov.vn"


def account(aid: str, kind: str, local: str, unit: str, status: str, created: str, updated: str = "",
            quota: int = Q500, name: str = "") -> dict[str, Any]:
    return {"id": aid, "kind": kind, "address": f"{local}@{D}", "unit": unit, "unit_name": unit.upper(),
            "display_name": name or local, "status": status, "created": created + "T08:00:00Z",
            "updated": (updated or created) + "T08:00:00Z", "quota_bytes": quota, "title": "", "source": "x"}


def log(aid: str, local: str, action: str, at: str, kind: str = "inactive") -> dict[str, str]:
    return {"id": aid, "address": f"{local}@{D}", "action": action, "kind": kind, "at": at}


ACCOUNTS = {
    "accounts": [
        account("unit:stttt", "unit", "stttt", "stttt", "active", "2025-01-10"),
        account("0001", "person", "a", "stttt", "active", "2025-03-01", quota=GIB, name="Lê Minh Hiếu"),
        account("0002", "person", "b", "stttt", "active", "2026-02-01"),
        account("0003", "person", "c", "stttt", "active", "2025-04-01", "2026-07-01"),
        account("unit:syt", "unit", "syt", "syt", "active", "2026-01-05"),
        account("0004", "person", "d", "syt", "left", "2025-01-01", "2026-05-01"),
        account("0005", "person", "e", "syt", "active", "2026-06-01"),
        account("0006", "person", "f", "syt", "left", "2024-01-01", "2026-10-10"),
        account("0007", "person", "g", "syt", "active", "2027-01-02"),
        account("0008", "person", "h", "syt", "left", "2020-01-01", "2025-05-01"),
    ],
    # Rows of the accounts database's lock_log, as `vmail-stats accounts` prints them.
    "lifecycle": [
        log("0001", "a", "lock", "2025-12-31T16:00:00Z"),
        log("0001", "a", "unlock", "2026-01-02T02:00:00Z"),
        log("0002", "b", "lock", "2026-03-03T03:00:00Z"),
        log("0002", "b", "unlock", "2026-03-04T03:00:00Z"),
        log("0099", "x", "delete", "2026-08-01T05:00:00Z"),
        log("0003", "c", "lock", "2026-09-09T01:00:00Z", kind="emergency"),
        log("0004", "d", "left", "2026-05-01T08:00:00Z", kind=""),
        log("0006", "f", "delete", "2026-10-10T08:00:00Z"),
        log("0005", "e", "lock", "2027-01-03T08:00:00Z"),
    ],
}

STATS = [
    {"year": 2026, "days": ["2026-01-01", "2026-11-28"], "counters": [
        ["2026-01", f"a@{D}", "sent", 5],
        ["2026-01", f"a@{D}", "received", 7],
        ["2026-02", f"a@{D}", "logins_imap", 3],
        ["2026-02", f"b@{D}", "received", 2],
        ["2026-03", f"e@{D}", "spam_rejected", 4],
        ["2026-03", f"e@{D}", "virus_rejected", 1],
        ["2026-12", f"stttt@{D}", "received", 10],
        ["2026-01", f"postmaster@{D}", "received", 99],
    ], "storage": [
        ["2026-06-30", f"a@{D}", 900 * MIB, GIB],
        ["2026-11-28", f"a@{D}", 1000 * MIB, GIB],
        ["2026-11-28", f"b@{D}", 100 * MIB, None],
        ["2026-11-28", f"e@{D}", 480 * MIB, Q500],
    ]},
    {"year": 2026, "days": ["2026-01-02"], "counters": [
        ["2026-01", f"A@{D}", "sent", 1],
        ["2026-06", f"b@{D}", "logins_pop3", 2],
    ], "storage": []},
]


@pytest.fixture(name="report")
def fixture_report() -> dict[str, Any]:
    return yearly_report(copy.deepcopy(ACCOUNTS), copy.deepcopy(STATS), 2026)


def pick(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("accounts_end", "created", "locked", "deleted", "left", "storage_used",
                                "storage_quota", "above_90", "sent", "received", "spam", "virus", "logins", "inactive")}


def units(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in report["units"]}


def test_unit_stttt(report: dict[str, Any]) -> None:
    # Accounts: the unit mailbox, a, b and c (locked, still an account). Created: b. Locked: c
    # (status, updated 2026) and b (lock event; the unlock after it does not undo the count).
    assert pick(units(report)["stttt"]) == {
        "accounts_end": 4, "created": 1, "locked": 2, "deleted": 0, "left": 0,
        "storage_used": 1000 * MIB + 100 * MIB, "storage_quota": GIB + 3 * Q500, "above_90": 1,
        "sent": 6, "received": 19, "spam": 0, "virus": 0, "logins": 5, "inactive": 0,
    }


def test_unit_syt(report: dict[str, Any]) -> None:
    # g is created in 2027 (not in the report); h left in 2025 (not counted as left in 2026).
    assert pick(units(report)["syt"]) == {
        "accounts_end": 2, "created": 2, "locked": 0, "deleted": 1, "left": 1,
        "storage_used": 480 * MIB, "storage_quota": 2 * Q500, "above_90": 1,
        "sent": 0, "received": 0, "spam": 4, "virus": 1, "logins": 0, "inactive": 1,
    }


def test_deleted_account_gone_from_the_database_counts_under_unknown_unit(report: dict[str, Any]) -> None:
    unknown = units(report)["khong-ro"]
    assert (unknown["unit_name"], unknown["deleted"], unknown["accounts_end"]) == ("(không rõ đơn vị)", 1, 0)


def test_province(report: dict[str, Any]) -> None:
    assert pick(report["province"]) == {
        "accounts_end": 6, "created": 3, "locked": 2, "deleted": 2, "left": 1,
        "storage_used": 1580 * MIB, "storage_quota": GIB + 5 * Q500, "above_90": 2,
        "sent": 6, "received": 19, "spam": 4, "virus": 1, "logins": 5, "inactive": 1,
    }
    assert report["province"]["storage_pct"] == round(100 * 1580 * MIB / (GIB + 5 * Q500), 1)
    assert report["period"] == {"first_day": "2026-01-01", "last_day": "2026-11-28", "days": 3}


def test_months(report: dict[str, Any]) -> None:
    months = report["province"]["months"]
    zero = [0] * 12
    assert months["sent"] == [6] + zero[1:]
    assert months["received"] == [7, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]
    assert months["blocked"] == [0, 0, 5] + zero[3:]
    assert months["logins"] == [0, 3, 0, 0, 0, 2] + zero[6:]
    assert months["storage_used"] == [0] * 5 + [900 * MIB] + [0] * 4 + [1580 * MIB, 0]


def test_account_rows(report: dict[str, Any]) -> None:
    rows = {r["id"]: r for r in report["accounts"]}
    assert "0007" not in rows
    assert (rows["0001"]["state"], rows["0001"]["above_90"], rows["0001"]["sent"]) == ("active", 1, 6)
    assert (rows["0003"]["state"], rows["0003"]["locked"]) == ("locked", 1)
    assert (rows["0006"]["state"], rows["0006"]["accounts_end"], rows["0006"]["storage_quota"]) == ("deleted", 0, 0)


def test_lifecycle_events_up_to_the_year_end() -> None:
    events = lifecycle_events(ACCOUNTS["lifecycle"], 2026)
    assert [(e["account"], e["action"], e["year"]) for e in events] == [
        ("0001", "lock", "2025"), ("0001", "unlock", "2026"), ("0002", "lock", "2026"), ("0002", "unlock", "2026"),
        ("0099", "delete", "2026"), ("0003", "lock", "2026"), ("0004", "left", "2026"), ("0006", "delete", "2026")]


def test_lock_standing_at_the_year_end_is_the_state(report: dict[str, Any]) -> None:
    rows = {r["id"]: r for r in report["accounts"]}
    # 0002 was locked and unlocked in the year: counted as locked, active at the end.
    assert (rows["0002"]["state"], rows["0002"]["locked"]) == ("active", 1)
    # 0005's lock comes after the year: nothing of it in the 2026 report.
    assert (rows["0005"]["state"], rows["0005"]["locked"]) == ("active", 0)
    # 0006 was deleted (its row stays, status left): deleted, not left.
    assert (rows["0006"]["state"], rows["0006"]["left"], rows["0006"]["deleted"]) == ("deleted", 0, 1)


def parse_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff") and "\r\n" in text
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_province_csv(report: dict[str, Any]) -> None:
    rows = parse_csv(report_province_csv(report))
    assert tuple(rows[0]) == CSV_HEADER
    assert [r[0] for r in rows[1:]] == ["khong-ro", "stttt", "syt", "Tổng"]
    assert rows[-1] == ["Tổng", "Toàn tỉnh", "6", "3", "2", "2", "1", str(1580 * MIB), str(GIB + 5 * Q500),
                        f"{100 * 1580 * MIB / (GIB + 5 * Q500):.1f}", "2", "6", "19", "4", "1", "5", "1"]


def test_unit_csv(report: dict[str, Any]) -> None:
    rows = parse_csv(report_unit_csv(report, "stttt"))
    assert [r[0] for r in rows[1:]] == [f"stttt@{D}", f"a@{D}", f"b@{D}", f"c@{D}", "Tổng"]
    a = rows[2]
    assert a[:2] == [f"a@{D}", "Lê Minh Hiếu"]
    assert a[2:] == ["1", "0", "0", "0", "0", str(1000 * MIB), str(GIB), "97.7", "1", "6", "7", "0", "0", "3", "0"]
    assert rows[-1][2:7] == ["4", "1", "2", "0", "0"]


def test_unknown_unit_refused(report: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="no unit 'nope' in the report of 2026"):
        report_unit_csv(report, "nope")


def test_page_in_vietnamese_with_inline_svg(report: dict[str, Any]) -> None:
    page = report_html(report)
    assert '<html lang="vi">' in page and "Báo cáo tình hình quản lý, sử dụng hệ thống thư điện tử công vụ tỉnh năm 2026" in page
    assert "<script" not in page and not re.search(r"(src|href)=\"https?:", page)
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    assert "<tr><th>Tài khoản cuối năm</th><td>6</td></tr>" in page
    assert "<tr><th>Dung lượng đã dùng</th><td>1.580 MB / 3.524 MB (44,8%)</td></tr>" in page
    assert "Số liệu từ ngày 2026-01-01 đến ngày 2026-11-28 (3 ngày có bộ đếm)." in page
    # Counted up to November: the trend stops there instead of falling to zero in December.
    assert {len(points.split()) for points in re.findall(r'<polyline [^>]*points="([^"]*)"', page)} == {11}


def test_files(report: dict[str, Any]) -> None:
    assert set(report_files(report)) == {"bao-cao.html", "toan-tinh.csv", "don-vi/khong-ro.csv",
                                         "don-vi/stttt.csv", "don-vi/syt.csv"}


@pytest.mark.parametrize(
    ("accounts", "stats", "year", "message"),
    [
        (ACCOUNTS, STATS, "20x6", "year must be a year such as 2026"),
        ([], STATS, 2026, "expected the output of 'vmail-stats accounts', got a list"),
        ({"accounts": "x"}, STATS, 2026, "accounts must be the list"),
        ({"accounts": [{"id": "1"}]}, STATS, 2026, r"accounts\[0\] \(1\): field kind must be a string"),
        ({"accounts": [dict(ACCOUNTS["accounts"][0], created="never")]}, STATS, 2026, "created is not a date"),
        (ACCOUNTS, "x", 2026, "stats must be the output of 'vmail-stats export'"),
        (ACCOUNTS, [{"counters": []}], 2026, r"stats\[0\] needs lists 'counters' and 'storage'"),
        (ACCOUNTS, STATS, 2025, r"stats\[0\] is for year 2026, not 2025"),
        (ACCOUNTS, [{"counters": [["2026-01", "a", "sent"]], "storage": []}], 2026, "bad counter row"),
        (ACCOUNTS, [{"counters": [], "storage": [["2025-01-01", "a", 1, None]]}], 2026, "bad storage row"),
        ({"accounts": [], "lifecycle": "x"}, STATS, 2026, "lifecycle must be a list"),
        ({"accounts": [], "lifecycle": [{"raw": "2026-08-01 delete x@tiengiang.gov.vn"}]}, STATS, 2026,
         r"lifecycle\[0\]: id, address, action, at must be strings"),
        ({"accounts": [], "lifecycle": [log("1", "a", "emergency_lock", "2026-01-01T00:00:00Z")]}, STATS, 2026,
         "action 'emergency_lock' is not one of lock, unlock, left, delete"),
        ({"accounts": [account("1", "person", "a", "u", "locked", "2026-01-01")]}, STATS, 2026,
         "account 1: unknown account status 'locked'"),
    ],
)
def test_bad_input_is_named(accounts: Any, stats: Any, year: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        yearly_report(accounts, stats, year)


@pytest.mark.parametrize("fn", [report_province_csv, report_html, report_files])
def test_outputs_refuse_non_reports(fn: Any) -> None:
    with pytest.raises(InvalidInput, match="expected the dict returned by yearly_report"):
        fn({"year": 2026})


METRIC = st.sampled_from(["sent", "received", "spam_rejected", "virus_rejected", "logins_imap", "logins_pop3"])


@given(
    people=st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.sampled_from(PERSON_STATUSES),
                              st.integers(2020, 2027)), min_size=1, max_size=12),
    counters=st.lists(st.tuples(st.integers(1, 12), st.integers(0, 12), METRIC, st.integers(0, 1000)), max_size=30),
)
def test_province_is_the_sum_of_units_and_of_months(people: list[tuple[str, str, int]],
                                                     counters: list[tuple[int, int, str, int]]) -> None:
    accounts = [account(str(i), "person", f"p{i}", unit, status, f"{year}-06-01")
                for i, (unit, status, year) in enumerate(people)]
    stats = [{"year": 2026, "counters": [[f"2026-{m:02d}", f"p{i}@{D}", metric, n] for m, i, metric, n in counters],
              "storage": []}]
    report = yearly_report({"accounts": accounts}, stats, 2026)
    province = report["province"]
    for field in ("accounts_end", "created", "locked", "left", "sent", "received", "spam", "virus", "logins", "inactive"):
        assert province[field] == sum(u[field] for u in report["units"]) == sum(a[field] for a in report["accounts"])
    assert province["sent"] == sum(province["months"]["sent"])
    assert province["spam"] + province["virus"] == sum(province["months"]["blocked"])
    counted = {f"p{i}@{D}" for i, (_u, _s, year) in enumerate(people) if year <= 2026}
    assert province["sent"] == sum(n for _m, i, metric, n in counters if metric == "sent" and f"p{i}@{D}" in counted)
    rows = parse_csv(report_province_csv(report))
    assert [int(x) for x in rows[-1][2:7]] == [sum(int(r[c]) for r in rows[1:-1]) for c in range(2, 7)]


def test_units_sharing_a_name_are_told_apart_on_the_page() -> None:
    accounts = [dict(account("1", "unit", "stttt.vps", "stttt-vps", "active", "2025-01-01"), unit_name="Văn phòng Sở"),
                dict(account("2", "unit", "syt.vps", "syt-vps", "active", "2025-01-01"), unit_name="Văn phòng Sở")]
    page = report_html(yearly_report({"accounts": accounts}, [], 2026))
    assert "<td>Văn phòng Sở (stttt-vps)</td>" in page and "<td>Văn phòng Sở (syt-vps)</td>" in page


def test_write_command(tmp_path: Any) -> None:
    """What playbooks/report.yml runs: one command writes reports/<year>/, then nothing changes."""
    import json
    import subprocess
    import sys

    from conftest import REPO

    command = [sys.executable, "-m", "vmail.report", "write", "--input", "-",
               "--output", str(tmp_path / "2026")]
    document = json.dumps({"accounts": ACCOUNTS, "stats": STATS, "year": 2026})
    first = json.loads(subprocess.run(command, input=document, capture_output=True, text=True, check=True).stdout)
    assert first["changed"] and first["files"] == 5 and first["province"]["sent"] == 6
    assert (tmp_path / "2026" / "don-vi" / "syt.csv").stat().st_mode & 0o777 == 0o640
    second = json.loads(subprocess.run(command, input=document, capture_output=True, text=True, check=True).stdout)
    assert (second["changed"], second["written"], second["removed"]) == (False, [], [])
    bad = subprocess.run(command, input=json.dumps({"accounts": {}, "stats": [], "year": "x"}), capture_output=True,
                         text=True, check=False)
    assert bad.returncode == 1 and "year must be a year" in json.loads(bad.stdout)["msg"]


def test_write_command_dry_run_writes_nothing(tmp_path: Any) -> None:
    import json
    import subprocess
    import sys

    from conftest import REPO

    command = [sys.executable, "-m", "vmail.report", "write", "--input", "-",
               "--output", str(tmp_path / "2026"), "--dry-run"]
    out = json.loads(subprocess.run(command, input=json.dumps({"accounts": ACCOUNTS, "stats": STATS, "year": 2026}),
                                    capture_output=True, text=True, check=True).stdout)
    assert out["changed"] and "bao-cao.html" in out["written"] and not (tmp_path / "2026").exists()


def test_unit_names_replace_the_database_names() -> None:
    report = yearly_report(copy.deepcopy(ACCOUNTS), copy.deepcopy(STATS), 2026, {"syt": "Sở Y tế"})
    assert units(report)["syt"]["unit_name"] == "Sở Y tế" and units(report)["stttt"]["unit_name"] == "STTTT"
    assert parse_csv(report_unit_csv(report, "syt"))[-1][:2] == ["Tổng", "Sở Y tế"]
    with pytest.raises(InvalidInput, match="unit_names must map unit ids to names"):
        yearly_report(ACCOUNTS, STATS, 2026, ["syt"])


def test_write_command_takes_unit_labels_from_the_personnel_units(tmp_path: Any) -> None:
    import json
    import subprocess
    import sys

    from conftest import REPO

    units_ = [{"id": "stttt", "name": "Sở Thông tin và Truyền thông", "level": "department"},
              {"id": "syt", "name": "Văn phòng Sở", "level": "office", "parent": "syt-parent"},
              {"id": "syt-parent", "name": "Sở Y tế", "level": "department"}]
    command = [sys.executable, "-m", "vmail.report", "write", "--input", "-",
               "--output", str(tmp_path)]
    document = json.dumps({"accounts": ACCOUNTS, "stats": STATS, "year": 2026, "units": units_})
    subprocess.run(command, input=document, capture_output=True, text=True, check=True)
    rows = parse_csv((tmp_path / "toan-tinh.csv").read_bytes().decode("utf-8"))
    assert [r[1] for r in rows[1:]] == ["(không rõ đơn vị)", "Sở Thông tin và Truyền thông", "Văn phòng Sở, Sở Y tế",
                                        "Toàn tỉnh"]


def test_report_on_a_past_year_counts_accounts_closed_after_it() -> None:
    """Made in 2027 for 2026: h left in 2025 (not counted), d left and f was deleted in 2026 (not
    counted at the end of 2026); an account that left in 2027 was still open at the end of 2026."""
    later = copy.deepcopy(ACCOUNTS)
    later["accounts"].append(account("0009", "person", "i", "syt", "left", "2025-01-01", "2027-02-01"))
    rows = {r["id"]: r for r in yearly_report(later, STATS, 2026)["accounts"]}
    assert (rows["0009"]["accounts_end"], rows["0009"]["left"]) == (1, 0)
    assert (rows["0004"]["accounts_end"], rows["0006"]["accounts_end"], rows["0008"]["accounts_end"]) == (0, 0, 0)


# stttt-ttcntttt is under stttt; syt stands alone; "gone" (a unit no longer in the file) and the
# unknown unit of the lifecycle log belong to no agency.
PERSONNEL_UNITS = [{"id": "stttt", "name": "Sở Thông tin và Truyền thông", "level": "department"},
                   {"id": "stttt-ttcntttt", "name": "Trung tâm CNTT-TT", "level": "office", "parent": "stttt"},
                   {"id": "syt", "name": "Sở Y tế", "level": "department"}]


def test_agencies_sum_their_sub_units() -> None:
    data = copy.deepcopy(ACCOUNTS)
    data["accounts"] += [account("0010", "person", "j", "stttt-ttcntttt", "active", "2026-01-02"),
                         account("0011", "person", "k", "gone", "active", "2025-01-02")]
    stats = copy.deepcopy(STATS)
    stats[0]["counters"] += [["2026-05", f"j@{D}", "sent", 4], ["2026-05", f"k@{D}", "sent", 100]]
    report = yearly_report(data, stats, 2026)
    agencies = {a["unit"]: a for a in agency_totals(report, PERSONNEL_UNITS)}
    assert set(agencies) == {"stttt", "syt"}
    # stttt: its own 4 accounts (see test_unit_stttt) and j of its centre.
    assert (agencies["stttt"]["accounts_end"], agencies["stttt"]["created"], agencies["stttt"]["sent"]) == (5, 2, 10)
    assert agencies["stttt"]["unit_name"] == "STTTT"  # as the report names it
    assert pick(agencies["syt"]) == pick(units(report)["syt"])
    rows = parse_csv(report_agencies_csv(report, PERSONNEL_UNITS))
    assert [r[0] for r in rows[1:]] == ["stttt", "syt", "Tổng"]
    assert rows[-1][2] == "7" and rows[-1][11] == "10"
    with_agencies, without = report_files(report, PERSONNEL_UNITS), report_files(report)
    assert "co-quan.csv" in with_agencies and "co-quan.csv" not in without
    assert 'href="co-quan.csv"' in with_agencies["bao-cao.html"] and "co-quan.csv" not in without["bao-cao.html"]


def test_agencies_need_the_units_list(report: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="units must be the personnel file's units list"):
        agency_totals(report, {"stttt": {}})

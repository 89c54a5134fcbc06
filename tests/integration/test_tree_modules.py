"""The vmail_published_tree module (report and directory): check mode writes nothing and names the
files in --diff, a real run writes them, the next run changes nothing; bad input fails clearly."""
from __future__ import annotations

from pathlib import Path

from conftest import run_module

D = "tiengiang.gov.vn"
# What `vmail-stats accounts` and `vmail-stats export` print (two units, three people).
ACCOUNTS = {"lifecycle": [], "accounts": [
    {"id": aid, "kind": kind, "address": f"{local}@{D}", "unit": unit, "unit_name": unit.upper(),
     "display_name": local, "status": "active", "created": "2026-01-05T08:00:00Z",
     "updated": "2026-01-05T08:00:00Z", "quota_bytes": 524288000, "title": "", "source": "x"}
    for aid, kind, local, unit in (("unit:stttt", "unit", "stttt", "stttt"), ("0001", "person", "a", "stttt"),
                                   ("0002", "person", "b", "stttt"), ("0003", "person", "c", "syt"))]}
STATS = [{"year": 2026, "days": ["2026-01-06"], "storage": [], "counters": [
    ["2026-01", f"a@{D}", "sent", 4], ["2026-02", f"c@{D}", "sent", 2], ["2026-02", f"b@{D}", "received", 3]]}]


def test_report_module(tmp_path: Path) -> None:
    args = {"document": {"accounts": ACCOUNTS, "stats": STATS, "year": 2026}, "output": str(tmp_path / "2026")}
    checked = run_module("library", "vmail_published_tree", dict(args, content="report"), check=True)
    assert checked["changed"] is True and "bao-cao.html" in checked["diff"]["after"]
    assert not (tmp_path / "2026").exists()
    real = run_module("library", "vmail_published_tree", dict(args, content="report"))
    assert real["changed"] is True and real["files"] == 4 and real["province"]["sent"] == 6
    assert (tmp_path / "2026" / "toan-tinh.csv").stat().st_mode & 0o777 == 0o640
    assert run_module("library", "vmail_published_tree", dict(args, content="report"))["changed"] is False
    bad = run_module("library", "vmail_published_tree",
                     {"content": "report", "document": {"accounts": {}, "stats": [], "year": "x"}, "output": str(tmp_path / "x")})
    assert bad.get("failed") is True and "year must be a year" in bad["msg"]


def test_directory_module(tmp_path: Path) -> None:
    entries = [{"kind": "person", "id": "0001", "name": "Lê Minh Hiếu", "title": "Chuyên viên", "unit": "stttt",
                "unit_label": "Sở Thông tin và Truyền thông", "email": "leminhhieu@tiengiang.gov.vn",
                "phone": "", "fax": "", "address": ""}]
    args = {"document": {"entries": entries, "units": [], "title": "Danh bạ", "generated": "2026-12-06"},
            "output": str(tmp_path / "www")}
    checked = run_module("library", "vmail_published_tree", dict(args, content="directory"), check=True)
    assert checked["changed"] is True and "danh-ba.csv" in checked["diff"]["after"]
    assert not (tmp_path / "www").exists()
    assert run_module("library", "vmail_published_tree", dict(args, content="directory"))["changed"] is True
    assert (tmp_path / "www" / "danh-ba.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert run_module("library", "vmail_published_tree", dict(args, content="directory"))["changed"] is False

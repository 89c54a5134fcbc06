"""The provincial directory (Art. 12.5, 14.3, 15.3): entries, CSV, vCard, page and published tree."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from vmail.errors import InvalidInput
from hypothesis import given
from hypothesis import strategies as st

from vmail.directory import (
    CSV_COLUMNS,
    directory_csv,
    directory_entries,
    directory_files,
    directory_html,
    directory_vcard,
    fold,
    write_tree,
)
from vmail.allocation import mailbox_accounts

from conftest import DOMAIN, REPO, SMALL_PERSONNEL, person

UNITS = SMALL_PERSONNEL["units"] + [
    {"id": "tanphuoc-phuong1", "name": "Phường 1", "level": "commune", "parent": "tanphuoc"},
]


def personnel() -> dict[str, Any]:
    data = copy.deepcopy(SMALL_PERSONNEL)
    data["units"] = copy.deepcopy(UNITS)
    data["units"][0].update(phone="0273 3 892 088", fax="0273 3 892 089", address="Số 1, thành phố Mỹ Tho")
    data["people"] += [
        person("0002", "Đặng Thị Ánh", 1990, "tanphuoc-myphuoc", title="Chủ tịch UBND xã", phone="0273 3 800 001"),
        person("0003", "Nguyễn Văn Rời", 1980, "stttt", status="left"),
        person("0004", "Phạm Văn Khóa", 1981, "stttt", status="suspended"),
        person("0005", "Trần Thị Ngọc", 1992, "stttt-ttcntttt", title="Chuyên viên", fax="0273 3 999 999",
               address="Số 2, đường Hùng Vương"),
    ]
    return data


@pytest.fixture(name="accounts")
def fixture_accounts() -> list[dict[str, Any]]:
    return mailbox_accounts(personnel())


@pytest.fixture(name="entries")
def fixture_entries(accounts: list[dict[str, Any]]) -> list[dict[str, str]]:
    return directory_entries(accounts, UNITS)


def by_id(entries: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {e["id"]: e for e in entries}


# --------------------------------------------------------------------------------------------
# Entries


def test_exactly_active_people_and_every_unit(entries: list[dict[str, str]]) -> None:
    ids = {e["id"] for e in entries}
    assert ids == {"0001", "0002", "0005"} | {"unit:" + u["id"] for u in UNITS}


def test_suspended_listed_only_on_request(accounts: list[dict[str, Any]]) -> None:
    ids = {e["id"] for e in directory_entries(accounts, UNITS, include_suspended=True)}
    assert "0004" in ids and "0003" not in ids


def test_person_fields_keep_diacritics(entries: list[dict[str, str]]) -> None:
    anh = by_id(entries)["0002"]
    assert anh == {
        "kind": "person", "id": "0002", "name": "Đặng Thị Ánh", "title": "Chủ tịch UBND xã",
        "unit": "tanphuoc-myphuoc", "unit_label": "UBND xã Mỹ Phước, UBND huyện Tân Phước",
        "email": f"dangthianh@{DOMAIN}", "phone": "0273 3 800 001", "fax": "", "address": "",
    }


def test_unit_rows_and_labels(entries: list[dict[str, str]]) -> None:
    rows = by_id(entries)
    assert rows["unit:stttt"]["name"] == "Sở Thông tin và Truyền thông"
    assert rows["unit:stttt"]["fax"] == "0273 3 892 089"
    assert rows["unit:tanphuoc"]["name"] == "UBND huyện Tân Phước"
    assert rows["unit:txcailay"]["name"] == "UBND thị xã Cai Lậy"
    assert rows["unit:mytho"]["name"] == "UBND thành phố Mỹ Tho"
    assert rows["unit:tanphuoc-phuong1"]["name"] == "UBND Phường 1"
    assert rows["unit:stttt-ttcntttt"]["unit_label"] == (
        "Trung tâm Công nghệ thông tin và Truyền thông, Sở Thông tin và Truyền thông")


def test_person_falls_back_to_unit_address_and_fax_not_phone(entries: list[dict[str, str]]) -> None:
    hieu = by_id(entries)["0001"]
    assert (hieu["address"], hieu["fax"], hieu["phone"]) == ("Số 1, thành phố Mỹ Tho", "0273 3 892 089", "0273 3 871 234")
    ngoc = by_id(entries)["0005"]
    assert (ngoc["address"], ngoc["fax"]) == ("Số 2, đường Hùng Vương", "0273 3 999 999")


def test_without_units_the_unit_name_is_used(accounts: list[dict[str, Any]]) -> None:
    rows = by_id(directory_entries(accounts))
    assert rows["unit:tanphuoc"]["name"] == "Tân Phước"
    assert rows["0002"]["unit_label"] == "Mỹ Phước"


def test_sorted_by_unit_then_unit_row_first(entries: list[dict[str, str]]) -> None:
    keys = [(fold(e["unit_label"]), e["unit"]) for e in entries]
    assert keys == sorted(keys)
    for i, e in enumerate(entries):
        if e["kind"] == "unit":
            assert i == 0 or entries[i - 1]["unit"] != e["unit"]


def test_nfd_input_gives_nfc_output() -> None:
    data = personnel()
    data["people"][0]["full_name"] = unicodedata.normalize("NFD", "Lê Minh Hiếu")
    entries = directory_entries(mailbox_accounts(data), UNITS)
    assert by_id(entries)["0001"]["name"] == "Lê Minh Hiếu"


@pytest.mark.parametrize(
    ("accounts", "units", "message"),
    [
        ("nope", None, "expected the list returned by mailbox_accounts, got a string"),
        ([{"id": "x"}], None, r"accounts\[0\] \(x\): field kind must be a string"),
        ([1], None, r"accounts\[0\] must be a mapping"),
        ([{"id": "x", "kind": "robot", "address": "a@b", "display_name": "", "unit": "u", "unit_name": "",
           "status": "active"}], None, "kind must be person or unit"),
        ([{"id": "x", "kind": "person", "address": "a@b", "display_name": "", "unit": "u", "unit_name": "",
           "status": "gone"}], None, "status must be one of"),
        ([{"id": "x", "kind": "person", "address": "ab", "display_name": "", "unit": "u", "unit_name": "",
           "status": "active"}], None, "address must be an e-mail address"),
        ([], "units", "units must be the personnel file's units list"),
        ([], [{"id": 1}], r"units\[0\] must be a mapping with string id and name"),
    ],
)
def test_bad_input_is_named(accounts: Any, units: Any, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        directory_entries(accounts, units)


def test_include_suspended_must_be_bool(accounts: list[dict[str, Any]]) -> None:
    with pytest.raises(InvalidInput, match="include_suspended must be true or false"):
        directory_entries(accounts, UNITS, include_suspended="yes")


@pytest.mark.parametrize("fn", [directory_csv, directory_vcard, directory_html, directory_files])
def test_outputs_refuse_non_entries(fn: Any) -> None:
    with pytest.raises(InvalidInput, match=r"entries\[0\] is not a directory entry \(field kind"):
        fn([{"name": "x"}])


# --------------------------------------------------------------------------------------------
# CSV


def test_csv_has_bom_crlf_and_round_trips(entries: list[dict[str, str]]) -> None:
    text = directory_csv(entries)
    assert text.startswith("\ufeff") and "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r[1], r[4]) for r in rows[1:]] == [(e["name"], e["email"]) for e in entries]
    anh = next(r for r in rows if r[4] == f"dangthianh@{DOMAIN}")
    assert anh == ["Cá nhân", "Đặng Thị Ánh", "Chủ tịch UBND xã", "UBND xã Mỹ Phước, UBND huyện Tân Phước",
                   f"dangthianh@{DOMAIN}", "0273 3 800 001", "", ""]


def test_csv_neutralises_formulas_but_not_phone_numbers(entries: list[dict[str, str]]) -> None:
    evil = dict(entries[0], title="=HYPERLINK(\"http://x\")", phone="+84 273 3 892 088", fax="-1+1")
    rows = list(csv.reader(io.StringIO(directory_csv([evil])[1:], newline="")))
    assert rows[1][2] == "'=HYPERLINK(\"http://x\")"
    assert rows[1][5] == "+84 273 3 892 088"
    assert rows[1][6] == "'-1+1"


# --------------------------------------------------------------------------------------------
# vCard


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def cards(text: str) -> list[dict[str, str]]:
    out, card = [], {}
    for line in unfold(text):
        if line == "BEGIN:VCARD":
            card = {}
        elif line == "END:VCARD":
            out.append(card)
        else:
            key, _, value = line.partition(":")
            card[key] = value
    return out


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_one_card_per_entry(entries: list[dict[str, str]], version: str) -> None:
    parsed = cards(directory_vcard(entries, version))
    assert len(parsed) == len(entries)
    assert all(c["VERSION"] == version for c in parsed)
    assert [c["FN"] for c in parsed] == [e["name"] for e in entries]


def test_vcard3_person(entries: list[dict[str, str]]) -> None:
    card = next(c for c in cards(directory_vcard(entries, "3.0")) if c["FN"] == "Lê Minh Hiếu")
    assert card == {
        "VERSION": "3.0", "FN": "Lê Minh Hiếu", "N": "Lê;Hiếu;Minh;;", "ORG": "Sở Thông tin và Truyền thông",
        "TITLE": "Chuyên viên", "EMAIL;TYPE=INTERNET,WORK": f"leminhhieu@{DOMAIN}",
        "TEL;TYPE=WORK,VOICE": "0273 3 871 234", "TEL;TYPE=WORK,FAX": "0273 3 892 089",
        "ADR;TYPE=WORK": ";;Số 1\\, thành phố Mỹ Tho;;;;", "UID": f"mailto:leminhhieu@{DOMAIN}",
    }


def test_vcard4_unit_is_an_org(entries: list[dict[str, str]]) -> None:
    card = next(c for c in cards(directory_vcard(entries, "4.0")) if c["FN"] == "UBND huyện Tân Phước")
    assert card["KIND"] == "org" and card["EMAIL;TYPE=work"] == f"tanphuoc@{DOMAIN}"
    assert "TITLE" not in card


def test_vcard_version_checked(entries: list[dict[str, str]]) -> None:
    with pytest.raises(InvalidInput, match="version must be one of 3.0, 4.0"):
        directory_vcard(entries, "2.1")


VIET = st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậềểễếệờởỡớợ ,;\\Đ")),
               min_size=1, max_size=120)


@given(name=VIET, address=VIET)
def test_vcard_lines_fold_within_75_octets_and_unfold_back(name: str, address: str) -> None:
    entry = {"kind": "person", "id": "1", "name": name, "title": "", "unit": "u", "unit_label": "U",
             "email": "a@b.vn", "phone": "", "fax": "", "address": address}
    text = directory_vcard([entry], "4.0")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    card = cards(text)[0]
    unescaped = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), card["FN"])
    assert unescaped == name


# --------------------------------------------------------------------------------------------
# Page


class RowParser(HTMLParser):
    """Rows of the directory table: cells' text and the row's data-s / data-u attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.cell: list[str] | None = None
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and "data-s" in attributes:
            self.rows.append({"s": attributes["data-s"], "u": attributes["data-u"], "cells": []})
        elif tag == "td" and self.rows:
            self.cell = []
        elif tag in ("script", "link", "img"):
            self.scripts.append(attributes.get("src") or attributes.get("href") or "")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            self.rows[-1]["cells"].append("".join(self.cell))
            self.cell = None


def test_page_lists_every_entry_with_folded_search_text(entries: list[dict[str, str]]) -> None:
    parser = RowParser()
    parser.feed(directory_html(entries, "Danh bạ", UNITS, "2026-11-28"))
    assert [r["cells"][0] for r in parser.rows] == [e["name"] for e in entries]
    anh = next(r for r in parser.rows if r["cells"][0] == "Đặng Thị Ánh")
    assert "dang thi anh" in anh["s"] and "chu tich ubnd xa" in anh["s"]
    assert anh["u"].split() == ["tanphuoc-myphuoc", "tanphuoc"]
    assert parser.scripts == ["danh-ba.js"], "no external resource"


def test_page_escapes_html(entries: list[dict[str, str]]) -> None:
    evil = dict(entries[0], name="<script>alert(1)</script>")
    page = directory_html([evil])
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_page_is_vietnamese_and_dated(entries: list[dict[str, str]]) -> None:
    page = directory_html(entries, "Danh bạ thư điện tử công vụ tỉnh Tiền Giang", UNITS, "2026-11-28")
    assert '<html lang="vi">' in page and "Tìm kiếm (có dấu hoặc không dấu)" in page
    assert "3 cá nhân và 10 hộp thư đơn vị. Dữ liệu ngày 2026-11-28." in page


def test_fold_vietnamese() -> None:
    """Python's fold (data-s); the page's own fold is exercised in Chromium (test_directory_browser.py)."""
    assert fold("Đặng Thị Ánh ĐẠO THẠNH Hòa Khánh Nguyễn Ưu Ơn") == "dang thi anh dao thanh hoa khanh nguyen uu on"


@given(st.text(max_size=40))
def test_fold_has_no_marks_and_ignores_normal_form(text: str) -> None:
    folded = fold(text)
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", folded))
    assert fold(unicodedata.normalize("NFD", text)) == folded == fold(unicodedata.normalize("NFC", text))


# --------------------------------------------------------------------------------------------
# Published tree


def test_files_per_unit_include_sub_units(entries: list[dict[str, str]]) -> None:
    files = directory_files(entries, "Danh bạ", UNITS)
    assert {"index.html", "danh-ba.js", "danh-ba.csv", "danh-ba.vcf", "danh-ba-v4.vcf",
            "don-vi/index.html"} <= set(files)
    tanphuoc = list(csv.reader(io.StringIO(files["don-vi/tanphuoc.csv"][1:], newline="")))
    emails = {r[4] for r in tanphuoc[1:]}
    assert emails == {f"tanphuoc@{DOMAIN}", f"tanphuoc.myphuoc@{DOMAIN}", f"tanphuoc.ptckh@{DOMAIN}",
                      f"tanphuoc.phuong1@{DOMAIN}", f"dangthianh@{DOMAIN}"}
    assert len(cards(files["don-vi/tanphuoc-v4.vcf"])) == 5
    myphuoc = list(csv.reader(io.StringIO(files["don-vi/tanphuoc-myphuoc.csv"][1:], newline="")))
    assert {r[4] for r in myphuoc[1:]} == {f"tanphuoc.myphuoc@{DOMAIN}", f"dangthianh@{DOMAIN}"}
    units_with_files = {p[len("don-vi/"):-len(".csv")] for p in files if p.startswith("don-vi/") and p.endswith(".csv")}
    assert units_with_files == {u["id"] for u in UNITS}


def test_write_tree_writes_only_differences_and_removes_stale(tmp_path: Path, entries: list[dict[str, str]]) -> None:
    files = directory_files(entries, "Danh bạ", UNITS)
    first = write_tree(files, str(tmp_path))
    assert first["changed"] and sorted(first["written"]) == sorted(files)
    assert write_tree(files, str(tmp_path)) == {"changed": False, "written": [], "removed": []}
    (tmp_path / "don-vi" / "old.csv").write_text("x", encoding="utf-8")
    smaller = {k: v for k, v in files.items() if k != "danh-ba.vcf"}
    smaller["index.html"] += "\n"
    assert write_tree(smaller, str(tmp_path), dry_run=True) == {
        "changed": True, "written": ["index.html"], "removed": ["danh-ba.vcf", "don-vi/old.csv"]}
    assert (tmp_path / "danh-ba.vcf").exists()
    assert write_tree(smaller, str(tmp_path))["removed"] == ["danh-ba.vcf", "don-vi/old.csv"]
    assert not (tmp_path / "danh-ba.vcf").exists()
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == smaller["index.html"]


def test_write_tree_refuses_escaping_paths(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="refusing path"):
        write_tree({"../x": ""}, str(tmp_path))


def test_build_command_runs_without_ansible(tmp_path: Path, entries: list[dict[str, str]]) -> None:
    """The module runs on the webmail host with the system Python and no Ansible."""
    document = {"entries": entries, "units": UNITS, "title": "Danh bạ", "generated": "2026-11-28"}
    # -S: no site-packages, so no Ansible; the package alone, as the vmail_package role installs it.
    command = [sys.executable, "-S", "-m", "vmail.directory", "build", "--input", "-", "--output", str(tmp_path / "out")]
    env = {"PYTHONPATH": str(REPO / "src"), "PATH": os.environ.get("PATH", "")}
    proc = subprocess.run(command, input=json.dumps(document), capture_output=True, text=True, check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changed"] is True
    assert (tmp_path / "out" / "danh-ba.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    again = subprocess.run(command, input=json.dumps(document), capture_output=True, text=True, check=False, env=env)
    assert json.loads(again.stdout) == {"changed": False, "removed": [], "written": []}
    bad = subprocess.run(command, input=json.dumps({"entries": "x"}), capture_output=True, text=True, check=False,
                         env=env)
    assert bad.returncode == 1 and json.loads(bad.stdout)["failed"] is True


def test_write_tree_directories_stay_readable_under_a_strict_umask(tmp_path: Path) -> None:
    """An Ansible module may run under umask 077: nginx must still read don-vi/ (it got 0750 once)."""
    old = os.umask(0o077)
    try:
        write_tree({"danh-ba.csv": "x", "don-vi/stttt.csv": "y"}, str(tmp_path / "www"))
    finally:
        os.umask(old)
    assert (tmp_path / "www" / "don-vi").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "www" / "don-vi" / "stttt.csv").stat().st_mode & 0o777 == 0o644

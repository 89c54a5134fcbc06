"""The provincial e-mail directory (danh bạ) of Decision 51/2016/QĐ-UBND, Art. 12.5, 14.3, 15.3.

Pure, typed functions (the filters of filter_plugins/vmail_directory.py):

* ``directory_entries``: the accounts of ``mailbox_accounts`` (vmail.allocation) to the rows of
  the directory: people and unit mailboxes, people who left (and, by default, suspended
  people) left out;
* ``directory_csv``: CSV that Excel opens as UTF-8 (byte order mark, CRLF);
* ``directory_vcard``: vCard 3.0 or 4.0;
* ``directory_html``: one searchable page in Vietnamese (search with or without diacritics,
  no external resource);
* ``directory_files``: every file of the published tree (page, script, whole-province and
  per-unit CSV and vCard), relative path -> text.

Run as a script on the webmail host (stdlib only), the module writes that tree::

    vmail-directory build --input entries.json --output /var/www/vmail-directory

and prints ``{"changed": ..., "written": [...], "removed": [...]}``.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from vmail import jsoncli
from vmail.errors import InvalidInput
from vmail.statuses import ACCOUNT_KINDS, PERSON_STATUSES
from vmail.text import fold
from vmail.text import nfc as _nfc
from vmail.text import type_name as _type_name


ENTRY_FIELDS = ("kind", "id", "name", "title", "unit", "unit_label", "email", "phone", "fax", "address")
ACCOUNT_FIELDS = ("id", "kind", "address", "display_name", "unit", "unit_name", "status")
KINDS = ACCOUNT_KINDS
STATUSES = PERSON_STATUSES
UNIT_ID_PREFIX = "unit:"
VCARD_VERSIONS = ("3.0", "4.0")
BOM = "\ufeff"

# How a unit is called in full, by level: the personnel file names places bare ("Tân Phước").
LEVEL_PREFIX = {
    "city": "UBND thành phố ",
    "town": "UBND thị xã ",
    "district": "UBND huyện ",
    "commune": "UBND xã ",
}
# Communes whose name already says what they are (wards, townships).
COMMUNE_OWN_PREFIXES = ("phường", "thị trấn")

CSV_COLUMNS = ("Loại", "Họ và tên / Đơn vị", "Chức vụ", "Đơn vị công tác", "Thư điện tử",
               "Điện thoại", "Fax", "Địa chỉ")
KIND_LABEL = {"person": "Cá nhân", "unit": "Hộp thư đơn vị"}
# A cell Excel would run as a formula ('=cmd|...', '@SUM(...)'): prefixed with an apostrophe.
# Phone numbers such as "+84 273 ..." stay as they are.
FORMULA_START = re.compile(r"^(?:[=@\t\r]|[+-](?![\d .()-]*$))")


# --------------------------------------------------------------------------------------------
# Text




# --------------------------------------------------------------------------------------------
# Entries


def _unit_display(unit: Mapping[str, Any]) -> str:
    """'Tân Phước' of level district -> 'UBND huyện Tân Phước'; departments and offices as named."""
    name = _nfc(unit.get("name"))
    level = unit.get("level", "")
    if level == "commune" and fold(name).startswith(tuple(fold(p) for p in COMMUNE_OWN_PREFIXES)):
        return "UBND " + name
    return LEVEL_PREFIX.get(level, "") + name


def _unit_labels(units: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """unit id -> full label, the parent after a comma: 'Văn phòng Sở, Sở Thông tin và Truyền thông'."""
    by_id = {u["id"]: u for u in units}
    labels = {}
    for unit_id, unit in by_id.items():
        parts: list[str] = []
        seen: set[str] = set()
        current: Mapping[str, Any] | None = unit
        while current is not None and current["id"] not in seen:
            seen.add(current["id"])
            parts.append(_unit_display(current))
            current = by_id.get(current.get("parent") or "")
        labels[unit_id] = ", ".join(parts)
    return labels


def unit_labels(units: Any) -> dict[str, str]:
    """unit id -> full label ('UBND xã Mỹ Phước, UBND huyện Tân Phước') from the personnel file's units."""
    return _unit_labels(_check_units(units))


def _check_units(units: Any) -> list[Mapping[str, Any]]:
    if units is None:
        return []
    if not isinstance(units, list):
        raise InvalidInput(f"directory_entries: units must be the personnel file's units list, got {_type_name(units)}")
    for index, unit in enumerate(units):
        if not isinstance(unit, Mapping) or not isinstance(unit.get("id"), str) or not isinstance(unit.get("name"), str):
            raise InvalidInput(f"directory_entries: units[{index}] must be a mapping with string id and name, got {unit!r}")
    return units


def _check_account(index: int, account: Any) -> Mapping[str, Any]:
    where = f"directory_entries: accounts[{index}]"
    if not isinstance(account, Mapping):
        raise InvalidInput(f"{where} must be a mapping (an account of mailbox_accounts), got {_type_name(account)}")
    label = f"{where} ({account.get('id', '?')})"
    for field in ACCOUNT_FIELDS:
        if not isinstance(account.get(field), str):
            raise InvalidInput(f"{label}: field {field} must be a string, got {_type_name(account.get(field))}")
    if account["kind"] not in KINDS:
        raise InvalidInput(f"{label}: kind must be person or unit, got {account['kind']!r}")
    if account["status"] not in STATUSES:
        raise InvalidInput(f"{label}: status must be one of {', '.join(STATUSES)}, got {account['status']!r}")
    if "@" not in account["address"]:
        raise InvalidInput(f"{label}: address must be an e-mail address, got {account['address']!r}")
    return account


def directory_entries(accounts: Any, units: Any = None, include_suspended: bool = False) -> list[dict[str, str]]:
    """The directory rows: unit mailboxes and people, sorted by unit label, units first, then name.

    People who left are never listed. Suspended people are left out unless
    ``include_suspended``: their logins are blocked (nobody reads the mailbox), so the directory
    must not send official mail there; the unit mailbox is listed instead. A person's address
    and fax fall back to their unit's (the office they work at); their phone does not (the unit
    row carries the switchboard). ``units`` (the personnel file's ``units``) gives full unit
    labels ('UBND xã Mỹ Phước, UBND huyện Tân Phước'); without it the unit's own name is used.
    """
    if not isinstance(accounts, list):
        raise InvalidInput(f"directory_entries: expected the list returned by mailbox_accounts, got {_type_name(accounts)}")
    if not isinstance(include_suspended, bool):
        raise InvalidInput(f"directory_entries: include_suspended must be true or false, got {include_suspended!r}")
    checked = [_check_account(i, a) for i, a in enumerate(accounts)]
    checked_units = _check_units(units)
    labels = _unit_labels(checked_units)
    displays = {u["id"]: _unit_display(u) for u in checked_units}
    unit_rows = {a["unit"]: a for a in checked if a["kind"] == "unit"}
    shown = {"active", "suspended"} if include_suspended else {"active"}
    entries = []
    for account in checked:
        if account["status"] not in shown:
            continue
        unit = unit_rows.get(account["unit"], {})
        person = account["kind"] == "person"
        entries.append({
            "kind": account["kind"],
            "id": account["id"],
            "name": _nfc(account["display_name"]) if person else displays.get(account["unit"]) or _nfc(account["display_name"]),
            "title": _nfc(account.get("title")) if person else "",
            "unit": account["unit"],
            "unit_label": labels.get(account["unit"]) or _nfc(account["unit_name"]),
            "email": account["address"].lower(),
            "phone": _nfc(account.get("phone")),
            "fax": _nfc(account.get("fax")) or (_nfc(unit.get("fax")) if person else ""),
            "address": _nfc(account.get("postal_address")) or (_nfc(unit.get("postal_address")) if person else ""),
        })
    entries.sort(key=lambda e: (fold(e["unit_label"]), e["unit"], e["kind"] != "unit", fold(e["name"]), e["email"]))
    return entries


def _check_entries(entries: Any, caller: str) -> list[Mapping[str, str]]:
    if not isinstance(entries, list):
        raise InvalidInput(f"{caller}: expected the list returned by directory_entries, got {_type_name(entries)}")
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or not all(isinstance(entry.get(f), str) for f in ENTRY_FIELDS):
            missing = [f for f in ENTRY_FIELDS if not isinstance(entry, Mapping) or not isinstance(entry.get(f), str)]
            raise InvalidInput(f"{caller}: entries[{index}] is not a directory entry (field {missing[0]} missing or not a string)")
    return entries


# --------------------------------------------------------------------------------------------
# CSV


def _csv_cell(value: str) -> str:
    return "'" + value if FORMULA_START.match(value) else value


def directory_csv(entries: Any) -> str:
    """CSV with a UTF-8 byte order mark and CRLF line ends, header row CSV_COLUMNS in Vietnamese."""
    rows = _check_entries(entries, "directory_csv")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in rows:
        writer.writerow([_csv_cell(v) for v in (KIND_LABEL[e["kind"]], e["name"], e["title"], e["unit_label"],
                                                e["email"], e["phone"], e["fax"], e["address"])])
    return BOM + out.getvalue()


# --------------------------------------------------------------------------------------------
# vCard (RFC 2426 for 3.0, RFC 6350 for 4.0)


def _vcard_text(value: str) -> str:
    """Escape a text value: backslash, comma, semicolon and line breaks."""
    return (value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold_line(line: str) -> str:
    """Fold a content line at 75 octets of UTF-8 without splitting a character."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > 75:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _name_parts(full_name: str) -> tuple[str, str, str]:
    """Vietnamese order: family name first, given name last: 'Lê Minh Hiếu' -> ('Lê', 'Hiếu', 'Minh')."""
    words = full_name.split()
    if len(words) < 2:
        return "", full_name, ""
    return words[0], words[-1], " ".join(words[1:-1])


def _vcard(entry: Mapping[str, str], version: str) -> list[str]:
    person = entry["kind"] == "person"
    lines = ["BEGIN:VCARD", f"VERSION:{version}"]
    if version == "4.0":
        lines.append("KIND:" + ("individual" if person else "org"))
    lines.append("FN:" + _vcard_text(entry["name"]))
    if person:
        family, given, middle = _name_parts(entry["name"])
        lines.append("N:" + ";".join(_vcard_text(p) for p in (family, given, middle, "", "")))
        lines.append("ORG:" + _vcard_text(entry["unit_label"]))
        if entry["title"]:
            lines.append("TITLE:" + _vcard_text(entry["title"]))
    else:
        lines.append("N:;;;;")
        lines.append("ORG:" + _vcard_text(entry["name"]))
    if version == "4.0":
        lines.append("EMAIL;TYPE=work:" + entry["email"])
        tel = "TEL;VALUE=text;TYPE="
        types = ("work,voice", "work,fax")
    else:
        lines.append("EMAIL;TYPE=INTERNET,WORK:" + entry["email"])
        tel = "TEL;TYPE="
        types = ("WORK,VOICE", "WORK,FAX")
    if entry["phone"]:
        lines.append(tel + types[0] + ":" + _vcard_text(entry["phone"]))
    if entry["fax"]:
        lines.append(tel + types[1] + ":" + _vcard_text(entry["fax"]))
    if entry["address"]:
        lines.append("ADR;TYPE=" + ("work" if version == "4.0" else "WORK") + ":;;" + _vcard_text(entry["address"]) + ";;;;")
    lines.append("UID:mailto:" + entry["email"])
    lines.append("END:VCARD")
    return lines


def directory_vcard(entries: Any, version: str = "3.0") -> str:
    """Every entry as a vCard (3.0 or 4.0), UTF-8, CRLF, lines folded at 75 octets."""
    rows = _check_entries(entries, "directory_vcard")
    if version not in VCARD_VERSIONS:
        raise InvalidInput(f"directory_vcard: version must be one of {', '.join(VCARD_VERSIONS)}, got {version!r}")
    return "".join(_fold_line(line) + "\r\n" for e in rows for line in _vcard(e, version))


# --------------------------------------------------------------------------------------------
# Web page

SCRIPT = """\
// Danh bạ: search with or without diacritics. Each row carries its text in lower case (data-t)
// and folded (data-s, no diacritics, đ -> d). A word typed without diacritics matches either
// ("anh" finds "Ánh" and "Anh"); a word typed with them matches exactly ("ánh" not "Anh").
(function () {
  "use strict";
  function fold(s) {
    return s.normalize("NFC").replace(/đ/g, "d").replace(/Đ/g, "D")
      .normalize("NFD").replace(/[\\u0300-\\u036f]/g, "").toLowerCase();
  }
  var q = document.getElementById("q");
  var unit = document.getElementById("don-vi");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#danh-ba tbody tr"));
  var count = document.getElementById("so-ket-qua");
  function apply() {
    var words = q.value.normalize("NFC").toLowerCase().split(/\\s+/).filter(Boolean);
    var u = unit.value;
    var shown = 0;
    rows.forEach(function (row) {
      var s = row.getAttribute("data-s"), t = row.getAttribute("data-t");
      var ok = (!u || (" " + row.getAttribute("data-u") + " ").indexOf(" " + u + " ") >= 0) &&
        words.every(function (w) { var f = fold(w); return f === w ? s.indexOf(w) >= 0 : t.indexOf(w) >= 0; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = String(shown);
  }
  q.addEventListener("input", apply);
  unit.addEventListener("change", apply);
  apply();
})();
"""

STYLE = """\
body{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;margin:1.5rem;color:#1a1a1a}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f4f7}tr.unit td{background:#fafbe8;font-weight:600}
td:nth-child(5),td:nth-child(6){white-space:nowrap}
.search{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}
.search input{flex:1 1 20rem;padding:.4rem;font-size:1rem}.search select{max-width:100%}
.downloads a{margin-right:1rem}
"""


def _unit_ancestors(entries: Sequence[Mapping[str, str]], parents: Mapping[str, str]) -> dict[str, list[str]]:
    """unit id -> itself and its ancestors (a unit's files and filter include its sub-units)."""
    out = {}
    for unit in {e["unit"] for e in entries}:
        chain, current = [], unit
        while current and current not in chain:
            chain.append(current)
            current = parents.get(current, "")
        out[unit] = chain
    return out


def _parents_from(units: Any) -> dict[str, str]:
    return {u["id"]: u.get("parent") or "" for u in _check_units(units)}


def directory_html(entries: Any, title: str = "Danh bạ thư điện tử công vụ tỉnh", units: Any = None,
                   generated: str = "") -> str:
    """One page: search box, unit filter, table, download links (index.html of directory_files).

    Rows are rendered in the HTML (the page reads without JavaScript); danh-ba.js hides the rows
    a search does not match. ``units`` (the personnel file's) lets the unit filter include
    sub-units. ``generated`` is shown as the date of the data (no timestamp is added, so the
    page only changes when the data does).
    """
    rows = _check_entries(entries, "directory_html")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput(f"directory_html: title must be a non-empty string, got {title!r}")
    ancestors = _unit_ancestors(rows, _parents_from(units))
    esc = html.escape
    unit_options = sorted({(e["unit_label"], e["unit"]) for e in rows if e["kind"] == "unit"},
                          key=lambda lu: fold(lu[0]))
    people = sum(1 for e in rows if e["kind"] == "person")
    body = []
    for e in rows:
        text = " ".join((e["name"], e["title"], e["unit_label"], e["email"], e["phone"]))
        search, exact = fold(text), unicodedata.normalize("NFC", text).lower()
        mail = esc(e["email"])
        body.append(
            f'<tr class="{e["kind"]}" data-u="{esc(" ".join(ancestors[e["unit"]]))}" data-s="{esc(search)}" data-t="{esc(exact)}">'
            f'<td>{esc(e["name"])}</td><td>{esc(e["title"])}</td><td>{esc(e["unit_label"])}</td>'
            f'<td><a href="mailto:{mail}">{mail}</a></td><td>{esc(e["phone"])}</td><td>{esc(e["fax"])}</td>'
            f'<td>{esc(e["address"])}</td></tr>'
        )
    options = "".join(f'<option value="{esc(u)}">{esc(label)}</option>' for label, u in unit_options)
    dated = f" Dữ liệu ngày {esc(generated)}." if generated else ""
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
{STYLE}</style>
</head>
<body>
<h1>{esc(title)}</h1>
<p>Theo Quy chế ban hành kèm Quyết định số 51/2016/QĐ-UBND (Điều 12.5, 14.3, 15.3):
{people} cá nhân và {len(unit_options)} hộp thư đơn vị.{dated}</p>
<p class="downloads">Tải về toàn tỉnh:
<a href="danh-ba.csv" download>CSV (Excel)</a>
<a href="danh-ba.vcf" download>vCard 3.0</a>
<a href="danh-ba-v4.vcf" download>vCard 4.0</a>
— từng đơn vị: <code>don-vi/&lt;mã đơn vị&gt;.csv</code>, <code>.vcf</code>, <code>-v4.vcf</code>
(<a href="don-vi/">danh sách</a>).</p>
<form class="search" role="search" onsubmit="return false">
<label for="q">Tìm kiếm (có dấu hoặc không dấu):</label>
<input id="q" type="search" placeholder="Họ tên, chức vụ, đơn vị, thư điện tử, điện thoại" autocomplete="off">
<label for="don-vi">Đơn vị:</label>
<select id="don-vi"><option value="">Tất cả đơn vị</option>{options}</select>
<span>Kết quả: <strong id="so-ket-qua">{len(rows)}</strong></span>
</form>
<table id="danh-ba">
<thead><tr><th>Họ và tên / Đơn vị</th><th>Chức vụ</th><th>Đơn vị công tác</th><th>Thư điện tử</th>
<th>Điện thoại</th><th>Fax</th><th>Địa chỉ</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
<script src="danh-ba.js"></script>
</body>
</html>
"""


def _unit_index_html(title: str, unit_rows: Sequence[tuple[str, str]]) -> str:
    esc = html.escape
    items = "\n".join(
        f'<li>{esc(label)}: <a href="{esc(u)}.csv" download>CSV</a> <a href="{esc(u)}.vcf" download>vCard 3.0</a> '
        f'<a href="{esc(u)}-v4.vcf" download>vCard 4.0</a></li>'
        for label, u in unit_rows
    )
    return f"""<!DOCTYPE html>
<html lang="vi">
<head><meta charset="utf-8"><title>{esc(title)}: tải về theo đơn vị</title></head>
<body>
<h1>{esc(title)}: tải về theo đơn vị</h1>
<p>Mỗi tệp gồm đơn vị và các đơn vị trực thuộc. <a href="../">Quay lại danh bạ</a></p>
<ul>
{items}
</ul>
</body>
</html>
"""


def directory_files(entries: Any, title: str = "Danh bạ thư điện tử công vụ tỉnh", units: Any = None,
                    generated: str = "") -> dict[str, str]:
    """Every published file, relative path -> text.

    ``index.html``, ``danh-ba.js``, ``danh-ba.csv``, ``danh-ba.vcf`` (3.0), ``danh-ba-v4.vcf``
    for the province; ``don-vi/index.html`` and ``don-vi/<unit>.csv|.vcf|-v4.vcf`` for every
    unit with a row, each holding the unit and its sub-units.
    """
    rows = _check_entries(entries, "directory_files")
    ancestors = _unit_ancestors(rows, _parents_from(units))
    files = {
        "index.html": directory_html(rows, title, units, generated),
        "danh-ba.js": SCRIPT,
        "danh-ba.csv": directory_csv(rows),
        "danh-ba.vcf": directory_vcard(rows, "3.0"),
        "danh-ba-v4.vcf": directory_vcard(rows, "4.0"),
    }
    labels = {e["unit"]: e["unit_label"] for e in rows}
    unit_ids = sorted(labels, key=lambda u: (fold(labels[u]), u))
    for unit in unit_ids:
        mine = [e for e in rows if unit in ancestors[e["unit"]]]
        files[f"don-vi/{unit}.csv"] = directory_csv(mine)
        files[f"don-vi/{unit}.vcf"] = directory_vcard(mine, "3.0")
        files[f"don-vi/{unit}-v4.vcf"] = directory_vcard(mine, "4.0")
    files["don-vi/index.html"] = _unit_index_html(title, [(labels[u], u) for u in unit_ids])
    return files


# --------------------------------------------------------------------------------------------
# Writing the tree (the build command on the webmail host)


def _make_dirs(root: str, directory: str, mode: int) -> None:
    """Create ``directory`` (under ``root``) and its parents with exactly ``mode``.

    os.makedirs applies the process umask, and an Ansible module may run under 077: the
    directories of the published tree must stay readable by the web server.
    """
    parts = os.path.relpath(directory, root).split(os.sep)
    current = root
    for part in [""] + [p for p in parts if p not in ("", ".")]:
        current = os.path.join(current, part) if part else current
        if not os.path.isdir(current):
            os.mkdir(current)
            os.chmod(current, mode)


def write_tree(files: Mapping[str, str], root: str, dry_run: bool = False, mode: int = 0o644) -> dict[str, Any]:
    """Make ``root`` hold exactly ``files`` (with ``mode``): write what differs (atomically), remove the rest.

    Returns {"changed", "written", "removed"} with relative paths, sorted.
    """
    written, removed = [], []
    for rel, text in sorted(files.items()):
        if rel.startswith("/") or ".." in rel.split("/"):
            raise InvalidInput(f"write_tree: refusing path {rel!r}")
        path = os.path.join(root, rel)
        data = text.encode("utf-8")
        try:
            with open(path, "rb") as handle:
                if handle.read() == data:
                    continue
        except FileNotFoundError:
            pass
        written.append(rel)
        if dry_run:
            continue
        _make_dirs(root, os.path.dirname(path), 0o755 if mode & 0o004 else 0o750)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    if os.path.isdir(root):
        for base, _dirs, names in os.walk(root):
            for name in names:
                rel = os.path.relpath(os.path.join(base, name), root).replace(os.sep, "/")
                if rel not in files:
                    removed.append(rel)
                    if not dry_run:
                        os.remove(os.path.join(base, name))
    return {"changed": bool(written or removed), "written": written, "removed": sorted(removed)}


def build(document: Mapping[str, Any], output: str, dry_run: bool = False) -> dict[str, Any]:
    """Make ``output`` hold exactly the published directory of ``document`` (mode 0644).

    ``document``: {"entries": [...], "units": [...], "title": "...", "generated": "..."}.
    Returns {"changed", "written", "removed"}; InvalidInput if the input is wrong.
    """
    files = directory_files(document.get("entries"), document.get("title") or "Danh bạ thư điện tử công vụ tỉnh",
                            document.get("units"), document.get("generated") or "")
    return write_tree(files, output, dry_run)


# --------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    """``build --input FILE --output DIR [--dry-run]``: write the tree, print what changed as JSON.

    The input is JSON: {"entries": [...], "units": [...], "title": "...", "generated": "..."}.
    """
    parser = argparse.ArgumentParser(description="Write the provincial e-mail directory.")
    commands = parser.add_subparsers(dest="command", required=True)
    build_command = commands.add_parser("build")
    build_command.add_argument("--input", required=True, help="JSON file, or - for stdin")
    build_command.add_argument("--output", required=True)
    build_command.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    return jsoncli.run(args.input, lambda document: build(document, args.output, args.dry_run))


if __name__ == "__main__":
    sys.exit(main())

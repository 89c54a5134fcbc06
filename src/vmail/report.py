"""The yearly report on the use of the provincial e-mail system (Art. 12.6, 12.8, 15.5).

Pure, typed functions (the filters of filter_plugins/vmail_report.py):

* ``yearly_report``: the accounts database (as ``vmail-stats accounts`` prints it), the daily
  counters of every mail host (``vmail-stats export --year``) and the lifecycle log, to one
  report: per unit, per account and for the province;
* ``report_unit_csv``, ``report_province_csv``, ``report_agencies_csv``: CSV for Excel (UTF-8
  with BOM, CRLF); an agency is a top-level unit with all its sub-units;
* ``report_html``: one readable page in Vietnamese with inline SVG charts (usage per unit,
  trend by month), no script and no external resource;
* ``report_files``: every file of ``reports/<year>/``, name -> text.

What is counted (the page repeats it in Vietnamese):

* an account is in the report if it was created on or before 31 December of the year;
* **accounts at year end**: person and unit mailboxes not deleted and not disabled (``left``)
  at the time of the report, or closed only after the year (``updated`` later); locked accounts
  still count (their address and mail are kept);
* **created**: the ``created`` date of the accounts database falls in the year;
* **locked / deleted**: distinct accounts with a ``lock`` / ``delete`` event of the year in the
  accounts database's lock log; an account's state is ``deleted`` once deleted (its row stays,
  status ``left``), ``locked`` while its last lock is not undone, else its status;
  **left**: status ``left`` (HR disabled the account) with ``updated`` in the year;
* **storage**: the last quota sample of the year of each mailbox (used and limit; the database
  quota when Dovecot reports no limit); **above 90%**: used > 90% of the limit;
* **messages sent / received, spam and viruses blocked, logins**: sums of the daily counters;
  counters of addresses that are no account (system aliases) are left out;
* **inactive**: active person accounts with no login and no message sent in the year.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from vmail.errors import InvalidInput
from vmail.statuses import LOG_ACTIONS, report_state
from vmail.text import type_name as _type_name


METRICS = ("sent", "received", "spam_rejected", "virus_rejected", "logins_imap", "logins_pop3")
COUNT_FIELDS = ("accounts_end", "created", "locked", "deleted", "left", "storage_used", "storage_quota",
                "above_90", "sent", "received", "spam", "virus", "logins", "inactive")
MONTH_FIELDS = ("sent", "received", "blocked", "logins", "storage_used")
CSV_HEADER = (
    "Mã", "Tên", "Tài khoản cuối năm", "Tạo mới", "Bị khóa", "Bị xóa", "Nghỉ việc (vô hiệu)",
    "Dung lượng đã dùng (byte)", "Hạn mức (byte)", "Tỷ lệ dùng (%)", "Hộp thư trên 90%",
    "Thư gửi", "Thư nhận", "Thư rác bị chặn", "Virus bị chặn", "Lượt đăng nhập", "Tài khoản không hoạt động",
)
UNKNOWN_UNIT = "khong-ro"
UNKNOWN_UNIT_NAME = "(không rõ đơn vị)"
BOM = "\ufeff"
MONTH_NAMES = tuple(f"T{m}" for m in range(1, 13))
DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})")




# --------------------------------------------------------------------------------------------
# Reading the inputs




def _year_of(value: Any) -> int | None:
    m = DATE_RE.search(str(value or ""))
    return int(m.group(1)) if m else None


def _check_accounts(accounts: Any) -> list[Mapping[str, Any]]:
    if not isinstance(accounts, list):
        raise InvalidInput(f"yearly_report: accounts must be the list of 'vmail-stats accounts', got {_type_name(accounts)}")
    for index, account in enumerate(accounts):
        if not isinstance(account, Mapping):
            raise InvalidInput(f"yearly_report: accounts[{index}] must be a mapping, got {_type_name(account)}")
        for field in ("id", "kind", "address", "unit", "status", "created"):
            if not isinstance(account.get(field), str):
                raise InvalidInput(
                    f"yearly_report: accounts[{index}] ({account.get('id', '?')}): field {field} must be a string, "
                    f"got {_type_name(account.get(field))}")
        if _year_of(account["created"]) is None:
            raise InvalidInput(f"yearly_report: accounts[{index}] ({account['id']}): created is not a date: {account['created']!r}")
    return accounts


def _check_stats(stats: Any, year: int) -> list[Mapping[str, Any]]:
    if isinstance(stats, Mapping):
        stats = [stats]
    if not isinstance(stats, list):
        raise InvalidInput(f"yearly_report: stats must be the output of 'vmail-stats export' (one per host), got {_type_name(stats)}")
    for index, doc in enumerate(stats):
        if not isinstance(doc, Mapping) or not isinstance(doc.get("counters"), list) or not isinstance(doc.get("storage"), list):
            raise InvalidInput(f"yearly_report: stats[{index}] needs lists 'counters' and 'storage'")
        if doc.get("year") not in (None, year):
            raise InvalidInput(f"yearly_report: stats[{index}] is for year {doc.get('year')}, not {year}")
        for row in doc["counters"]:
            if (not isinstance(row, list) or len(row) != 4 or not isinstance(row[0], str)
                    or not row[0].startswith(f"{year:04d}-") or not isinstance(row[3], int)):
                raise InvalidInput(f"yearly_report: stats[{index}]: bad counter row {row!r} (want [YYYY-MM, address, metric, n])")
        for row in doc["storage"]:
            if (not isinstance(row, list) or len(row) != 4 or not isinstance(row[0], str)
                    or not row[0].startswith(f"{year:04d}-") or not isinstance(row[2], int)):
                raise InvalidInput(f"yearly_report: stats[{index}]: bad storage row {row!r} (want [YYYY-MM-DD, address, used, limit])")
    return stats


def lifecycle_events(lifecycle: Any, year: int) -> list[dict[str, str]]:
    """The lock log of ``vmail-stats accounts`` up to the end of ``year``, oldest first.

    Each entry is a row of the accounts database's ``lock_log``: {id, address, action, kind, at},
    ``action`` one of ``LOG_ACTIONS``. Returned as {action, account (the id), address, year}.
    Anything else is refused: the report counts what the database recorded, nothing guessed.
    """
    if lifecycle is None:
        return []
    if not isinstance(lifecycle, list):
        raise InvalidInput(f"yearly_report: lifecycle must be a list (the lock log), got {_type_name(lifecycle)}")
    events = []
    for index, entry in enumerate(lifecycle):
        if not isinstance(entry, Mapping):
            raise InvalidInput(f"yearly_report: lifecycle[{index}] must be a lock log row, got {_type_name(entry)}")
        missing = [f for f in ("id", "address", "action", "at") if not isinstance(entry.get(f), str)]
        if missing:
            raise InvalidInput(f"yearly_report: lifecycle[{index}]: {', '.join(missing)} must be strings")
        if entry["action"] not in LOG_ACTIONS:
            raise InvalidInput(f"yearly_report: lifecycle[{index}]: action {entry['action']!r} is not one of "
                               f"{', '.join(LOG_ACTIONS)}")
        when = _year_of(entry["at"])
        if when is None:
            raise InvalidInput(f"yearly_report: lifecycle[{index}]: at is not a date: {entry['at']!r}")
        if when <= year:
            events.append({"action": entry["action"], "account": entry["id"],
                           "address": entry["address"].lower(), "year": str(when)})
    return events


# --------------------------------------------------------------------------------------------
# The report


def _zero() -> dict[str, Any]:
    row: dict[str, Any] = {f: 0 for f in COUNT_FIELDS}
    row["months"] = {f: [0] * 12 for f in MONTH_FIELDS}
    return row


def _percent(used: int, quota: int) -> float:
    return round(100.0 * used / quota, 1) if quota else 0.0


def yearly_report(accounts_doc: Any, stats: Any, year: Any, unit_names: Any = None) -> dict[str, Any]:
    """The report of ``year``: {year, period, province, units, accounts, notes}.

    ``accounts_doc`` is {"accounts": [...], "lifecycle": [...]} as ``vmail-stats accounts``
    prints it; ``stats`` one ``vmail-stats export --year`` document per mail host (summed).
    Each unit and the province carry the COUNT_FIELDS and ``months`` (12 values per
    MONTH_FIELDS); ``accounts`` has the same fields per account (0/1 for the account counts).
    ``unit_names`` (unit id -> label, e.g. from the personnel file) replaces the database's unit
    names, which are bare ("Hưng Thạnh") and not unique ("Văn phòng Sở").
    """
    if isinstance(year, str) and year.isdigit():
        year = int(year)
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(f"yearly_report: year must be a year such as 2026, got {year!r}")
    if not isinstance(accounts_doc, Mapping):
        raise InvalidInput(f"yearly_report: expected the output of 'vmail-stats accounts', got {_type_name(accounts_doc)}")
    accounts = _check_accounts(accounts_doc.get("accounts"))
    docs = _check_stats(stats, year)
    events = lifecycle_events(accounts_doc.get("lifecycle"), year)
    if unit_names is None:
        unit_names = {}
    if not isinstance(unit_names, Mapping) or not all(isinstance(v, str) for v in unit_names.values()):
        raise InvalidInput(f"yearly_report: unit_names must map unit ids to names, got {_type_name(unit_names)}")

    in_report = [a for a in accounts if (_year_of(a["created"]) or 0) <= year]
    known_ids = {a["id"] for a in in_report}
    # From the lock log: the lock standing at the end of the year (the last lock or unlock),
    # deletions, and what happened in the year itself.
    standing_lock: dict[str, bool] = {}
    deleted: set[str] = set()
    this_year: dict[str, set[str]] = {"lock": set(), "delete": set()}
    orphans: dict[str, dict[str, Any]] = {}
    for event in events:
        account, action = event["account"], event["action"]
        if action in ("lock", "unlock"):
            standing_lock[account] = action == "lock"
        elif action == "delete":
            deleted.add(account)
        if event["year"] == str(year) and action in this_year:
            this_year[action].add(account)
            if account not in known_ids:  # no longer in the database: counted under no unit
                orphan = orphans.setdefault(account, {"unit": UNKNOWN_UNIT, "locked": 0, "deleted": 0})
                orphan["locked" if action == "lock" else "deleted"] = 1

    rows: dict[str, dict[str, Any]] = {}
    for a in in_report:
        try:
            state = report_state(a["status"], standing_lock.get(a["id"], False), a["id"] in deleted)
        except ValueError as exc:
            raise InvalidInput(f"yearly_report: account {a['id']}: {exc}") from exc
        changed_this_year = _year_of(a.get("updated")) == year
        row = _zero()
        row.update(id=a["id"], address=a["address"].lower(), name=str(a.get("display_name") or ""),
                   kind=a["kind"], unit=a["unit"], unit_name=unit_names.get(a["unit"]) or str(a.get("unit_name") or a["unit"]), state=state)
        # A report on a past year: an account closed after 31 December was still open then.
        row["accounts_end"] = int(state not in ("deleted", "left") or (_year_of(a.get("updated")) or 0) > year)
        row["created"] = int(_year_of(a["created"]) == year)
        row["locked"] = int(a["id"] in this_year["lock"])
        row["deleted"] = int(a["id"] in this_year["delete"])
        row["left"] = int(state == "left" and changed_this_year)
        row["quota_bytes"] = int(a.get("quota_bytes") or 0)
        rows[row["address"]] = row

    # Counters: summed over hosts; months from "YYYY-MM".
    for doc in docs:
        for month, address, metric, value in doc["counters"]:
            counted = rows.get(str(address).lower())
            if counted is None or metric not in METRICS:
                continue
            m = int(month[5:7]) - 1
            field = {"sent": "sent", "received": "received", "spam_rejected": "spam",
                     "virus_rejected": "virus"}.get(metric, "logins")
            counted[field] += value
            month_field = {"spam": "blocked", "virus": "blocked"}.get(field, field)
            counted["months"][month_field][m] += value

    # Storage: the last sample of each month and of the year, per mailbox.
    last_of_month: dict[tuple[str, int], tuple[str, int, int | None]] = {}
    for doc in docs:
        for day, address, used, limit in doc["storage"]:
            sample_key = (str(address).lower(), int(day[5:7]) - 1)
            if sample_key not in last_of_month or day >= last_of_month[sample_key][0]:
                last_of_month[sample_key] = (day, used, limit if isinstance(limit, int) else None)
    last_of_year: dict[str, tuple[str, int, int | None]] = {}
    for (address, m), sample in last_of_month.items():
        sampled = rows.get(address)
        if sampled is None:
            continue
        sampled["months"]["storage_used"][m] = sample[1]
        if address not in last_of_year or sample[0] >= last_of_year[address][0]:
            last_of_year[address] = sample
    for address, row in rows.items():
        if row["accounts_end"]:  # storage of the mailboxes that exist at year end
            _day, used, limit = last_of_year.get(address, ("", 0, None))
            quota = limit or row["quota_bytes"]
            row["storage_used"], row["storage_quota"] = used, quota
            row["above_90"] = int(bool(quota) and used * 10 > quota * 9)
        row["inactive"] = int(row["kind"] == "person" and row["state"] == "active"
                              and row["logins"] == 0 and row["sent"] == 0)

    units: dict[str, dict[str, Any]] = {}
    for row in sorted(rows.values(), key=lambda r: (r["unit"], r["kind"] != "unit", r["address"])):
        unit = units.setdefault(row["unit"], dict(_zero(), unit=row["unit"], unit_name=row["unit_name"]))
        if row["kind"] == "unit":
            unit["unit_name"] = row["unit_name"]
        _add(unit, row)
    for orphan in orphans.values():
        unit = units.setdefault(orphan["unit"], dict(_zero(), unit=orphan["unit"], unit_name=UNKNOWN_UNIT_NAME
                                                     if orphan["unit"] == UNKNOWN_UNIT else orphan["unit"]))
        unit["locked"] += orphan["locked"]
        unit["deleted"] += orphan["deleted"]
    province = dict(_zero(), unit="toan-tinh", unit_name="Toàn tỉnh")
    for unit in units.values():
        _add(province, unit)
    for row in [province, *units.values(), *rows.values()]:
        row["storage_pct"] = _percent(row["storage_used"], row["storage_quota"])

    days = sorted({d for doc in docs for d in doc.get("days") or []})
    return {
        "year": year,
        "period": {"first_day": days[0] if days else "", "last_day": days[-1] if days else "", "days": len(days)},
        "province": province,
        "units": sorted(units.values(), key=lambda u: u["unit"]),
        "accounts": sorted(rows.values(), key=lambda r: (r["unit"], r["kind"] != "unit", r["address"])),
    }


def _add(total: dict[str, Any], part: Mapping[str, Any]) -> None:
    for field in COUNT_FIELDS:
        total[field] += part[field]
    for field in MONTH_FIELDS:
        total["months"][field] = [a + b for a, b in zip(total["months"][field], part["months"][field])]


# --------------------------------------------------------------------------------------------
# CSV


def _check_report(report: Any, caller: str) -> Mapping[str, Any]:
    if not isinstance(report, Mapping) or not all(k in report for k in ("year", "province", "units", "accounts")):
        raise InvalidInput(f"{caller}: expected the dict returned by yearly_report")
    return report


def _csv_row(code: str, name: str, row: Mapping[str, Any]) -> list[Any]:
    return [code, name, row["accounts_end"], row["created"], row["locked"], row["deleted"], row["left"],
            row["storage_used"], row["storage_quota"], f"{row['storage_pct']:.1f}", row["above_90"],
            row["sent"], row["received"], row["spam"], row["virus"], row["logins"], row["inactive"]]


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    return BOM + out.getvalue()


def report_unit_csv(report: Any, unit: str) -> str:
    """One unit: a row per account (its address and name), then the unit's total row ('Tổng')."""
    report = _check_report(report, "report_unit_csv")
    totals = {u["unit"]: u for u in report["units"]}
    if unit not in totals:
        raise InvalidInput(f"report_unit_csv: no unit {unit!r} in the report of {report['year']}")
    rows = [_csv_row(a["address"], a["name"], a) for a in report["accounts"] if a["unit"] == unit]
    rows.append(_csv_row("Tổng", totals[unit]["unit_name"], totals[unit]))
    return _csv(rows)


def report_province_csv(report: Any) -> str:
    """The province: a row per unit (its id and name), then the province total row ('Tổng')."""
    report = _check_report(report, "report_province_csv")
    rows = [_csv_row(u["unit"], u["unit_name"], u) for u in report["units"]]
    rows.append(_csv_row("Tổng", "Toàn tỉnh", report["province"]))
    return _csv(rows)


# --------------------------------------------------------------------------------------------
# Charts (inline SVG)

COLOURS = ("#1f6fb2", "#e07b00", "#c0392b", "#2e8b57")


def _number(value: float | int) -> str:
    """Vietnamese digit grouping: 1234567 -> '1.234.567'; decimals after a comma."""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:.1f}".split(".")
        return _number(int(whole)) + "," + frac
    return f"{int(value):,}".replace(",", ".")


def _mib(value: int) -> str:
    return _number(round(value / 1048576, 1))


def svg_bar_chart(labels: Sequence[str], values: Sequence[float], title: str, unit: str = "",
                  limits: Sequence[float] | None = None) -> str:
    """Horizontal bars, one per label; ``limits`` (optional) draws each bar's quota as a tick."""
    esc = html.escape
    top = max([*values, *(limits or []), 1])
    label_w, bar_w, row_h = 300, 420, 22
    height = 30 + row_h * len(labels) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_w + bar_w + 110}" height="{height}"'
             f' viewBox="0 0 {label_w + bar_w + 110} {height}" font-family="sans-serif" font-size="12">',
             f'<title>{esc(title)}</title>', f'<text x="0" y="16" font-weight="bold">{esc(title)}</text>']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 30 + i * row_h
        width = round(bar_w * value / top, 1)
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{esc(label[:48])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row_h - 6}" fill="{COLOURS[0]}"/>')
        if limits is not None and limits[i]:
            x = label_w + round(bar_w * limits[i] / top, 1)
            parts.append(f'<line x1="{x}" y1="{y + 1}" x2="{x}" y2="{y + row_h - 1}" stroke="{COLOURS[2]}" stroke-width="2"/>')
        parts.append(f'<text x="{label_w + width + 4}" y="{y + 14}">{esc(_number(value))}{esc(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_line_chart(series: Mapping[str, Sequence[float]], title: str, months: int = 12) -> str:
    """Lines over the 12 months, one per series, with a legend; drawn up to month ``months`` (no data after)."""
    esc = html.escape
    left, width, height, top_pad = 60, 600, 220, 40
    top = max([v for values in series.values() for v in values] + [1])
    step = width / 11
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 40}" height="{height + top_pad + 40}"'
             f' viewBox="0 0 {left + width + 40} {height + top_pad + 40}" font-family="sans-serif" font-size="12">',
             f'<title>{esc(title)}</title>', f'<text x="0" y="16" font-weight="bold">{esc(title)}</text>',
             f'<line x1="{left}" y1="{top_pad + height}" x2="{left + width}" y2="{top_pad + height}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + height}" stroke="#888"/>',
             f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end">{esc(_number(top))}</text>',
             f'<text x="{left - 6}" y="{top_pad + height + 4}" text-anchor="end">0</text>']
    for m, name in enumerate(MONTH_NAMES):
        parts.append(f'<text x="{round(left + m * step, 1)}" y="{top_pad + height + 18}" text-anchor="middle">{name}</text>')
    for i, (name, values) in enumerate(series.items()):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{round(left + m * step, 1)},{round(top_pad + height - height * v / top, 1)}"
                          for m, v in enumerate(values[:max(months, 1)]))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        parts.append(f'<rect x="{left + 10 + i * 150}" y="24" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{left + 26 + i * 150}" y="30">{esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Page

NOTES = (
    "Tài khoản cuối năm: hộp thư cá nhân và hộp thư đơn vị chưa bị xóa và không ở trạng thái nghỉ việc tại thời điểm lập báo cáo; "
    "tài khoản bị khóa vẫn được tính (địa chỉ và thư được giữ lại).",
    "Tạo mới: ngày tạo trong cơ sở dữ liệu tài khoản thuộc năm báo cáo.",
    "Bị khóa / bị xóa: các tài khoản có sự kiện khóa / xóa trong năm trong nhật ký khóa của cơ sở dữ liệu tài khoản.",
    "Dung lượng: mẫu hạn mức cuối cùng trong năm của từng hộp thư (doveadm quota); trên 90%: dung lượng dùng vượt 90% hạn mức.",
    "Thư gửi: thư do người dùng đã xác thực gửi đi (SMTP submission, kể cả webmail); thư nhận: thư được chuyển vào hộp thư; "
    "thư rác và virus bị chặn: thư bị bộ lọc (Rspamd) từ chối; lượt đăng nhập: IMAP và POP3 (webmail đăng nhập qua IMAP).",
    "Không hoạt động: tài khoản cá nhân đang hoạt động không đăng nhập và không gửi thư nào trong năm.",
    "Số liệu lấy từ bộ đếm hằng ngày trên máy chủ thư (nhật ký được xoay vòng, bộ đếm được giữ lại).",
)


def report_html(report: Any, agencies: bool = False) -> str:
    """The yearly report page in Vietnamese: summary, monthly trend and per-unit charts, unit table.

    ``agencies``: link co-quan.csv too (report_files writes it when given the units).
    """
    report = _check_report(report, "report_html")
    esc = html.escape
    p, year, period = report["province"], report["year"], report["period"]
    summary = [
        ("Tài khoản cuối năm", _number(p["accounts_end"])), ("Tạo mới trong năm", _number(p["created"])),
        ("Bị khóa", _number(p["locked"])), ("Bị xóa", _number(p["deleted"])), ("Nghỉ việc (vô hiệu)", _number(p["left"])),
        ("Dung lượng đã dùng", f"{_mib(p['storage_used'])} MB / {_mib(p['storage_quota'])} MB ({_number(p['storage_pct'])}%)"),
        ("Hộp thư dùng trên 90% hạn mức", _number(p["above_90"])),
        ("Thư gửi", _number(p["sent"])), ("Thư nhận", _number(p["received"])),
        ("Thư rác bị chặn", _number(p["spam"])), ("Virus bị chặn", _number(p["virus"])),
        ("Lượt đăng nhập", _number(p["logins"])), ("Tài khoản không hoạt động", _number(p["inactive"])),
    ]
    units = list(report["units"])
    # Two units may share a name ("Văn phòng Sở" of two departments): add the id to those.
    names = [u["unit_name"] for u in units]
    label = {u["unit"]: u["unit_name"] + (f" ({u['unit']})" if names.count(u["unit_name"]) > 1 else "") for u in units}
    by_use = sorted(units, key=lambda u: (-u["storage_used"], u["unit"]))
    by_mail = sorted(units, key=lambda u: (-(u["sent"] + u["received"]), u["unit"]))
    # A report made during the year (units report by 5 December) stops at the last counted month.
    upto = int(period["last_day"][5:7]) if period["last_day"] else 12
    trend = svg_line_chart({"Thư gửi": p["months"]["sent"], "Thư nhận": p["months"]["received"],
                            "Thư rác, virus bị chặn": p["months"]["blocked"], "Lượt đăng nhập": p["months"]["logins"]},
                           f"Xu hướng theo tháng năm {year}", upto)
    storage_trend = svg_line_chart({"Dung lượng đã dùng (MB)": [round(v / 1048576, 1) for v in p["months"]["storage_used"]]},
                                   "Dung lượng đã dùng theo tháng (MB, mẫu cuối tháng)", upto)
    storage = svg_bar_chart([label[u["unit"]] for u in by_use], [round(u["storage_used"] / 1048576, 1) for u in by_use],
                            "Dung lượng đã dùng theo đơn vị (MB; vạch đỏ: hạn mức)", " MB",
                            [round(u["storage_quota"] / 1048576, 1) for u in by_use])
    mail = svg_bar_chart([label[u["unit"]] for u in by_mail], [u["sent"] + u["received"] for u in by_mail],
                         "Thư gửi và nhận theo đơn vị")
    table_rows = "\n".join(
        "<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in (
            label[u["unit"]], _number(u["accounts_end"]), _number(u["created"]), _number(u["locked"]),
            _number(u["deleted"]), f"{_mib(u['storage_used'])} / {_mib(u['storage_quota'])}", _number(u["above_90"]),
            _number(u["sent"]), _number(u["received"]), _number(u["spam"]), _number(u["virus"]),
            _number(u["logins"]), _number(u["inactive"]))) + f'<td><a href="don-vi/{esc(u["unit"])}.csv">CSV</a></td></tr>'
        for u in units
    )
    covered = (f"Số liệu từ ngày {esc(period['first_day'])} đến ngày {esc(period['last_day'])} "
               f"({period['days']} ngày có bộ đếm)." if period["days"] else "Chưa có bộ đếm hằng ngày nào cho năm này.")
    items = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in summary)
    agencies_link = ', <a href="co-quan.csv">theo cơ quan (gồm đơn vị trực thuộc)</a>' if agencies else ""
    notes = "".join(f"<li>{esc(n)}</li>" for n in NOTES)
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<title>Báo cáo tình hình quản lý, sử dụng hệ thống thư điện tử công vụ tỉnh năm {year}</title>
<style>
body{{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;margin:1.5rem;color:#1a1a1a;max-width:75rem}}
table{{border-collapse:collapse;margin:.5rem 0 1.5rem}}th,td{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}}
td{{font-variant-numeric:tabular-nums}}.summary th{{font-weight:normal;color:#444}}svg{{max-width:100%;height:auto;display:block;margin:1rem 0}}
</style>
</head>
<body>
<h1>Báo cáo tình hình quản lý, sử dụng hệ thống thư điện tử công vụ tỉnh năm {year}</h1>
<p>Theo Quy chế ban hành kèm Quyết định số 51/2016/QĐ-UBND (Điều 12.6, 12.8, 15.5). {covered}
Tệp CSV: <a href="toan-tinh.csv">toàn tỉnh</a>{agencies_link}, từng đơn vị trong thư mục <code>don-vi/</code>.</p>
<h2>Tổng hợp toàn tỉnh</h2>
<table class="summary">{items}</table>
<h2>Xu hướng theo tháng</h2>
{trend}
{storage_trend}
<h2>Sử dụng theo đơn vị</h2>
{storage}
{mail}
<table>
<thead><tr><th>Đơn vị</th><th>Tài khoản cuối năm</th><th>Tạo mới</th><th>Bị khóa</th><th>Bị xóa</th>
<th>Dung lượng (MB) / hạn mức</th><th>Trên 90%</th><th>Thư gửi</th><th>Thư nhận</th><th>Thư rác bị chặn</th>
<th>Virus bị chặn</th><th>Lượt đăng nhập</th><th>Không hoạt động</th><th></th></tr></thead>
<tbody>
{table_rows}
</tbody>
</table>
<h2>Cách tính</h2>
<ul>{notes}</ul>
</body>
</html>
"""


def agency_totals(report: Any, units: Any) -> list[dict[str, Any]]:
    """Totals per agency: each top-level unit of the personnel file with all its sub-units.

    ``units`` is the personnel file's units (id, name, parent). Report units the file does not
    know (accounts of removed units, the unknown unit of the lifecycle log) are not in any agency.
    """
    report = _check_report(report, "agency_totals")
    if not isinstance(units, list) or not all(isinstance(u, Mapping) and isinstance(u.get("id"), str) for u in units):
        raise InvalidInput(f"agency_totals: units must be the personnel file's units list, got {_type_name(units)}")
    parent = {u["id"]: str(u.get("parent") or "") for u in units}
    names = {u["id"]: str(u.get("name") or u["id"]) for u in units}
    shown = {u["unit"]: u["unit_name"] for u in report["units"]}
    agencies: dict[str, dict[str, Any]] = {}
    for unit in report["units"]:
        if unit["unit"] not in parent:
            continue
        top, seen = unit["unit"], {unit["unit"]}
        while parent.get(top) in parent and parent[top] not in seen:
            top = parent[top]
            seen.add(top)
        agency = agencies.setdefault(top, dict(_zero(), unit=top, unit_name=shown.get(top) or names[top]))
        _add(agency, unit)
    for agency in agencies.values():
        agency["storage_pct"] = _percent(agency["storage_used"], agency["storage_quota"])
    return sorted(agencies.values(), key=lambda a: a["unit"])


def report_agencies_csv(report: Any, units: Any) -> str:
    """Agencies (a top-level unit with its sub-units): a row each, then their total ('Tổng')."""
    agencies = agency_totals(report, units)
    total = dict(_zero(), unit="", unit_name="")
    for agency in agencies:
        _add(total, agency)
    total["storage_pct"] = _percent(total["storage_used"], total["storage_quota"])
    rows = [_csv_row(a["unit"], a["unit_name"], a) for a in agencies]
    rows.append(_csv_row("Tổng", "Các cơ quan, đơn vị", total))
    return _csv(rows)


def report_files(report: Any, units: Any = None) -> dict[str, str]:
    """Every file of reports/<year>/: bao-cao.html, toan-tinh.csv, don-vi/<unit>.csv, and with
    the personnel file's ``units`` co-quan.csv (each agency with its sub-units)."""
    report = _check_report(report, "report_files")
    files = {"bao-cao.html": report_html(report, bool(units)), "toan-tinh.csv": report_province_csv(report)}
    for unit in report["units"]:
        files[f"don-vi/{unit['unit']}.csv"] = report_unit_csv(report, unit["unit"])
    if units:
        files["co-quan.csv"] = report_agencies_csv(report, units)
    return files


# --------------------------------------------------------------------------------------------
# Command line (playbooks/report.yml writes the whole tree in one task)


def write_report(document: Mapping[str, Any], output: str, dry_run: bool = False) -> dict[str, Any]:
    """Build the report of ``document`` and make ``output`` hold exactly its files (mode 0640).

    ``document``: {"accounts": <vmail-stats accounts>, "stats": [<vmail-stats export>...],
    "year": 2026, "units": <the personnel file's units, optional: full unit names>}. Returns
    {"changed", "written", "removed", "files", "province"}; InvalidInput if the input is wrong.
    """
    from vmail.directory import unit_labels, write_tree  # pylint: disable=import-outside-toplevel

    labels = unit_labels(document["units"]) if document.get("units") else None
    report = yearly_report(document.get("accounts"), document.get("stats"), document.get("year"), labels)
    files = report_files(report, document.get("units"))
    result = write_tree(files, output, dry_run=dry_run, mode=0o640)
    province = {k: report["province"][k] for k in COUNT_FIELDS}
    return dict(result, files=len(files), province=province)


def main(argv: Sequence[str] | None = None) -> int:
    """``write --input FILE|- --output DIR [--dry-run]``: ``write_report``, its result as JSON."""
    import argparse  # pylint: disable=import-outside-toplevel

    from vmail import jsoncli  # pylint: disable=import-outside-toplevel

    parser = argparse.ArgumentParser(description="Write the yearly report of the e-mail system.")
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write")
    write.add_argument("--input", required=True, help="JSON file, or - for stdin")
    write.add_argument("--output", required=True)
    write.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    args = parser.parse_args(argv)
    return jsoncli.run(args.input, lambda document: write_report(document, args.output, args.dry_run))


if __name__ == "__main__":
    raise SystemExit(main())

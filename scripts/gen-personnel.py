#!/usr/bin/env python3
"""Generate the lab personnel file, inventories/lab/personnel.yml, deterministically.

The units are the province's real departments, districts, towns, city and a few communes and
offices; the people are fictional, with a realistic distribution of Vietnamese surnames and
middle names (so there are many namesakes and the naming ladder of Art. 4.2b gets exercised).
The same seed always gives the same file, byte for byte.

    scripts/gen-personnel.py                 # writes inventories/lab/personnel.yml
    scripts/gen-personnel.py --seed 7 -o -   # another population, to stdout

The name pools and ``synthetic_people`` are reused by bench/naming.py.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vmail import allocation

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "inventories" / "lab" / "personnel.yml"
DEFAULT_SEED = 51_2016  # Decision 51/2016/QĐ-UBND
DEFAULT_PEOPLE = 300
DOMAIN = "tiengiang.gov.vn"

# Share of the population per surname (national surveys: Nguyễn ~38%, Trần ~11%, Lê ~9.5%...).
SURNAMES: tuple[tuple[str, float], ...] = (
    ("Nguyễn", 38.4), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.1), ("Huỳnh", 5.1), ("Hoàng", 2.0),
    ("Phan", 4.5), ("Vũ", 1.9), ("Võ", 3.9), ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3),
    ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5),
)
# Văn (men) and Thị (women) dominate, more so among older officials.
MALE_MIDDLES: tuple[tuple[str, float], ...] = (
    ("Văn", 55), ("Minh", 8), ("Hữu", 6), ("Thanh", 6), ("Quốc", 5), ("Hoàng", 4), ("Đức", 4),
    ("Công", 3), ("Ngọc", 3), ("Văn Minh", 2), ("Tấn", 4),
)
FEMALE_MIDDLES: tuple[tuple[str, float], ...] = (
    ("Thị", 60), ("Ngọc", 9), ("Thanh", 6), ("Thị Ngọc", 5), ("Kim", 5), ("Thu", 5), ("Mỹ", 4),
    ("Thị Thanh", 3), ("Hồng", 3),
)
MALE_GIVENS = (
    "An", "Bình", "Cường", "Dũng", "Đức", "Hải", "Hiếu", "Hùng", "Huy", "Khoa", "Long", "Minh", "Nam",
    "Phong", "Phúc", "Quang", "Sơn", "Tâm", "Thành", "Thắng", "Tuấn", "Trung", "Vinh", "Lộc", "Tài",
)
FEMALE_GIVENS = (
    "Anh", "Chi", "Dung", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai", "My",
    "Ngân", "Nhung", "Phương", "Thảo", "Thủy", "Trang", "Trinh", "Tuyết", "Vân", "Yến", "Nga", "Diễm",
)
BIRTH_YEARS = (1962, 2003)

# (id, name, level, parent, mailbox override). Overrides are what an operator wrote:
# Sở Nội vụ and Sở Ngoại vụ both abbreviate to 'snv'; the long names get the usual short forms.
UNITS: tuple[tuple[str, str, str, str, str], ...] = (
    ("vpubnd", "Văn phòng Ủy ban nhân dân tỉnh", "department", "", "vpubnd"),
    ("vpdbhdnd", "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh", "department", "", "vpdbqhhdnd"),
    ("snv", "Sở Nội vụ", "department", "", ""),
    ("sngv", "Sở Ngoại vụ", "department", "", "sngv"),
    ("stc", "Sở Tài chính", "department", "", ""),
    ("skhdt", "Sở Kế hoạch và Đầu tư", "department", "", ""),
    ("stttt", "Sở Thông tin và Truyền thông", "department", "", ""),
    ("sgddt", "Sở Giáo dục và Đào tạo", "department", "", ""),
    ("syt", "Sở Y tế", "department", "", ""),
    ("stp", "Sở Tư pháp", "department", "", ""),
    ("sct", "Sở Công Thương", "department", "", ""),
    ("snnptnt", "Sở Nông nghiệp và Phát triển nông thôn", "department", "", ""),
    ("stnmt", "Sở Tài nguyên và Môi trường", "department", "", ""),
    ("sgtvt", "Sở Giao thông vận tải", "department", "", ""),
    ("sxd", "Sở Xây dựng", "department", "", ""),
    ("sldtbxh", "Sở Lao động - Thương binh và Xã hội", "department", "", ""),
    ("svhttdl", "Sở Văn hóa, Thể thao và Du lịch", "department", "", ""),
    ("skhcn", "Sở Khoa học và Công nghệ", "department", "", ""),
    ("ttt", "Thanh tra tỉnh", "department", "", ""),
    ("bqlkcn", "Ban Quản lý các khu công nghiệp", "department", "", ""),
    ("stttt-ttcntttt", "Trung tâm Công nghệ thông tin và Truyền thông", "office", "stttt", ""),
    ("stttt-vps", "Văn phòng Sở", "office", "stttt", ""),
    ("stttt-pbcvt", "Phòng Bưu chính - Viễn thông", "office", "stttt", ""),
    ("snv-btdkt", "Ban Thi đua - Khen thưởng", "office", "snv", ""),
    ("snv-btg", "Ban Tôn giáo", "office", "snv", ""),
    ("syt-vps", "Văn phòng Sở", "office", "syt", ""),
    ("snnptnt-cctl", "Chi cục Thủy lợi", "office", "snnptnt", ""),
    ("snnptnt-ccts", "Chi cục Thủy sản", "office", "snnptnt", ""),
    ("mytho", "Mỹ Tho", "city", "", ""),
    ("txcailay", "Cai Lậy", "town", "", ""),
    ("txgocong", "Gò Công", "town", "", ""),
    ("caibe", "Cái Bè", "district", "", ""),
    ("cailay", "Cai Lậy", "district", "", ""),
    ("chauthanh", "Châu Thành", "district", "", ""),
    ("chogao", "Chợ Gạo", "district", "", ""),
    ("gocongtay", "Gò Công Tây", "district", "", ""),
    ("gocongdong", "Gò Công Đông", "district", "", ""),
    ("tanphuoc", "Tân Phước", "district", "", ""),
    ("tanphudong", "Tân Phú Đông", "district", "", ""),
    ("tanphuoc-ptckh", "Phòng Tài chính - Kế hoạch", "office", "tanphuoc", ""),
    ("tanphuoc-pnv", "Phòng Nội vụ", "office", "tanphuoc", ""),
    ("chogao-ptckh", "Phòng Tài chính - Kế hoạch", "office", "chogao", ""),
    ("mytho-pqldt", "Phòng Quản lý đô thị", "office", "mytho", ""),
    ("tanphuoc-myphuoc", "Mỹ Phước", "commune", "tanphuoc", ""),
    ("tanphuoc-phuoclap", "Phước Lập", "commune", "tanphuoc", ""),
    ("tanphuoc-hungthanh", "Hưng Thạnh", "commune", "tanphuoc", ""),
    ("caibe-anhuu", "An Hữu", "commune", "caibe", ""),
    ("caibe-hoakhanh", "Hòa Khánh", "commune", "caibe", ""),
    ("cailay-binhphu", "Bình Phú", "commune", "cailay", ""),
    ("chauthanh-longdinh", "Long Định", "commune", "chauthanh", ""),
    ("chogao-binhphan", "Bình Phan", "commune", "chogao", ""),
    ("chogao-hoatinh", "Hòa Tịnh", "commune", "chogao", ""),
    ("gocongtay-binhnhi", "Bình Nhì", "commune", "gocongtay", ""),
    ("gocongdong-kiengphuoc", "Kiểng Phước", "commune", "gocongdong", ""),
    ("tanphudong-phuthanh", "Phú Thạnh", "commune", "tanphudong", ""),
    ("txcailay-phuong1", "Phường 1", "commune", "txcailay", ""),
    ("txgocong-longhung", "Long Hưng", "commune", "txgocong", ""),
    ("mytho-phuong6", "Phường 6", "commune", "mytho", ""),
    ("mytho-daothanh", "Đạo Thạnh", "commune", "mytho", ""),
)

# Head and deputy titles by level; everyone else is a Chuyên viên (or Cán bộ in a commune).
TITLES = {
    "department": ("Giám đốc", "Phó Giám đốc", "Chuyên viên"),
    "office": ("Trưởng phòng", "Phó Trưởng phòng", "Chuyên viên"),
    "district": ("Chủ tịch UBND huyện", "Phó Chủ tịch UBND huyện", "Chuyên viên"),
    "town": ("Chủ tịch UBND thị xã", "Phó Chủ tịch UBND thị xã", "Chuyên viên"),
    "city": ("Chủ tịch UBND thành phố", "Phó Chủ tịch UBND thành phố", "Chuyên viên"),
    "commune": ("Chủ tịch UBND xã", "Phó Chủ tịch UBND xã", "Công chức"),
}

# People whose names test the ladder (id, full name, birth year, unit).
LADDER_PEOPLE: tuple[tuple[str, str, int, str], ...] = (
    ("0001", "Lê Minh Hiếu", 1977, "stttt"),
    ("0002", "Lê Minh Hiếu", 1984, "syt"),
    ("0003", "Lê Mạnh Hiếu", 1990, "stc"),
    ("0004", "Lê Minh Hiếu", 1991, "tanphuoc"),
    ("0005", "Lê Hiếu", 1979, "chogao"),
    ("0006", "Lê Hiếu", 1986, "mytho"),
)
TEST_PEOPLE: tuple[tuple[str, str, int, str, str], ...] = (
    ("9001", "Nguyễn Văn Thử", 1985, "stttt-ttcntttt", "active"),
    ("9002", "Trần Thị Kiểm", 1990, "stttt-ttcntttt", "active"),
    ("9003", "Phạm Văn Khóa", 1980, "stttt-ttcntttt", "suspended"),
)


def weighted(rnd: random.Random, pool: Sequence[tuple[str, float]]) -> str:
    """One item of a (value, weight) pool."""
    return rnd.choices([v for v, _ in pool], weights=[w for _, w in pool])[0]


def random_name(rnd: random.Random) -> str:
    """A realistic Vietnamese full name: surname, middle name(s), given name."""
    surname = weighted(rnd, SURNAMES)
    if rnd.random() < 0.5:
        return f"{surname} {weighted(rnd, MALE_MIDDLES)} {rnd.choice(MALE_GIVENS)}"
    return f"{surname} {weighted(rnd, FEMALE_MIDDLES)} {rnd.choice(FEMALE_GIVENS)}"


def phone(rnd: random.Random) -> str:
    """A landline of the 0273 (Tiền Giang) area code."""
    return f"0273 3 {rnd.randint(800, 899)} {rnd.randint(0, 999):03d}"


def synthetic_people(count: int, seed: int, unit_ids: Sequence[str], first_id: int = 1) -> list[dict[str, Any]]:
    """``count`` fictional people spread over ``unit_ids`` (used by the benchmark too)."""
    rnd = random.Random(seed)
    return [
        {"id": f"{first_id + i:04d}", "full_name": random_name(rnd), "birth_year": rnd.randint(*BIRTH_YEARS),
         "unit": rnd.choice(unit_ids), "status": "active"}
        for i in range(count)
    ]


def build_units(seed: int) -> list[dict[str, Any]]:
    """The unit entries; top-level units also get a postal address and a phone."""
    rnd = random.Random(seed)
    where = {"department": "thành phố Mỹ Tho", "city": "thành phố Mỹ Tho", "town": "thị xã {name}",
             "district": "huyện {name}"}
    units = []
    for unit_id, name, level, parent, mailbox in UNITS:
        entry: dict[str, Any] = {"id": unit_id, "name": name, "level": level}
        if parent:
            entry["parent"] = parent
        if mailbox:
            entry["mailbox"] = mailbox
        if level in where:
            entry["address"] = where[level].format(name=name) + ", tỉnh Tiền Giang"
            entry["phone"] = phone(rnd)
        units.append(entry)
    return units


def build_people(count: int, seed: int, units: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ladder people, then random people, then the fixed test people; titles, statuses, phones."""
    rnd = random.Random(seed)
    unit_ids = [u["id"] for u in units]
    people = [{"id": pid, "full_name": name, "birth_year": year, "unit": unit, "status": "active"}
              for pid, name, year, unit in LADDER_PEOPLE]
    people += synthetic_people(count - len(people), seed, unit_ids, first_id=len(people) + 1)
    level_of = {u["id"]: u["level"] for u in units}
    seen_in_unit: dict[str, int] = {}
    for entry in people:
        rank = seen_in_unit.get(entry["unit"], 0)
        seen_in_unit[entry["unit"]] = rank + 1
        entry["title"] = TITLES[level_of[entry["unit"]]][min(rank, 2)]
        entry["phone"] = phone(rnd)
        roll = rnd.random()
        if rank >= 2 and roll < 0.03:
            entry["status"] = "suspended"
        elif rank >= 2 and roll < 0.07:
            entry["status"] = "left"
        elif rank >= 2 and roll < 0.09:
            entry["exempt_until"] = f"{rnd.randint(2026, 2027)}-{rnd.randint(1, 12):02d}-28"
            entry["exempt_reason"] = rnd.choice(["Nghỉ thai sản", "Biệt phái", "Đi học dài hạn"])
        if rank == 0 and level_of[entry["unit"]] == "department":
            # Heads of department get more: above the 500 MB ceiling of Art. 7 only with the
            # reason written down (quota_exception, shown in the naming plan).
            entry["quota"] = "1GB"
            entry["quota_exception"] = "Lãnh đạo sở (Giám đốc)"
    people += [{"id": pid, "full_name": name, "birth_year": year, "unit": unit, "title": "Chuyên viên",
                "status": status} for pid, name, year, unit, status in TEST_PEOPLE]
    return people


def add_delegates(units: list[dict[str, Any]], people: Sequence[dict[str, Any]]) -> None:
    """Each unit's head and deputy (first two people of the unit who have not left)."""
    members: dict[str, list[str]] = {}
    for entry in people:
        if entry["status"] != "left" and not entry["id"].startswith("9"):
            members.setdefault(entry["unit"], []).append(entry["id"])
    for unit in units:
        if members.get(unit["id"]):
            unit["delegates"] = members[unit["id"]][:2]


def resolve_clashes(personnel: dict[str, Any]) -> None:
    """Give every person the strict ladder cannot place the override naming_plan suggests."""
    errors = allocation.personnel_errors(personnel, "generated personnel")
    if errors:
        raise SystemExit("\n".join(errors))
    plan = allocation.naming_plan(personnel, {})
    suggestions = {p["id"]: p["suggested_mailbox"] for g in plan["unresolved"] for p in g["people"]}
    for entry in personnel["people"]:
        if entry["id"] in suggestions:
            entry["mailbox"] = suggestions[entry["id"]]
    allocation.mailbox_accounts(personnel, {})  # raises if anything is still wrong


def scalar(value: Any) -> str:
    """A YAML scalar: numbers bare, strings double-quoted (JSON strings are valid YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def entry_yaml(entry: dict[str, Any]) -> list[str]:
    """One list item in block style, 2-space indentation."""
    lines = []
    for number, (key, value) in enumerate(entry.items()):
        lines.append(f"{'  - ' if number == 0 else '    '}{key}: {scalar(value)}")
    return lines


HEADER = """\
---
# Lab personnel file of the Tiền Giang provincial e-mail platform
# (tiengiang.gov.vn), Decision 51/2016/QĐ-UBND.
#
# GENERATED by: scripts/gen-personnel.py --seed {seed} --people {count}
# Edit the script, not this file. The units are the province's real
# departments, city, towns, districts and some communes and offices
# (Art. 4.1); the people are FICTIONAL, with a realistic spread of
# surnames, so namesakes exercise the naming ladder of Art. 4.2b.
#
# Schema: docs/naming.md. 'mailbox:' entries are overrides, as an operator
# writes them where two units abbreviate alike (Sở Nội vụ, Sở Ngoại vụ) or
# the ladder runs out. People 9001-9003 are fixed test accounts.
"""


def render(personnel: dict[str, Any], seed: int, count: int) -> str:
    """The whole file as text."""
    lines = [HEADER.format(seed=seed, count=count).rstrip("\n"), f"domain: {personnel['domain']}", "units:"]
    for unit in personnel["units"]:
        lines += entry_yaml(unit)
    lines.append("people:")
    for entry in personnel["people"]:
        lines += entry_yaml(entry)
    return "\n".join(lines) + "\n"


def generate(seed: int = DEFAULT_SEED, count: int = DEFAULT_PEOPLE) -> str:
    """The personnel file for ``seed`` and ``count`` people (plus the three test people)."""
    units = build_units(seed)
    people = build_people(count, seed, units)
    add_delegates(units, people)
    personnel = {"domain": DOMAIN, "units": units, "people": people}
    resolve_clashes(personnel)
    return render(personnel, seed, count)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--people", type=int, default=DEFAULT_PEOPLE)
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT), help="file to write, - for stdout")
    args = parser.parse_args(argv)
    text = generate(args.seed, args.people)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

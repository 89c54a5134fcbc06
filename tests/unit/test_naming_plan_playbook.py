"""playbooks/naming-plan.yml, run for real with ansible-playbook on localhost."""

from __future__ import annotations

import csv
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

PLAYBOOK = REPO / "playbooks" / "naming-plan.yml"
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"

PERSONNEL = """\
---
domain: tiengiang.gov.vn
units:
  - {id: stttt, name: "Sở Thông tin và Truyền thông", level: department}
people:
""" + "".join(
    f'  - {{id: "000{i}", full_name: "Lê Minh Hiếu", birth_year: 1977, unit: stttt, status: active}}\n'
    for i in range(1, 7)
)

pytestmark = pytest.mark.skipif(not ANSIBLE_PLAYBOOK.exists(), reason="no ansible-playbook in .venv")


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_FILTER_PLUGINS=str(REPO / "filter_plugins"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), str(PLAYBOOK), "-e", f"vmail_personnel_file={tmp_path / 'personnel.yml'}",
         "-e", f"vmail_naming_plan_csv={tmp_path / 'reports' / 'plan.csv'}", *extra],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )


def read_csv(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "reports" / "plan.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_strict_plan_lists_unresolved_and_writes_only_the_csv(tmp_path: Path) -> None:
    (tmp_path / "personnel.yml").write_text(PERSONNEL, encoding="utf-8")
    (tmp_path / "registry.yml").write_text('---\n"0006": leminhhieu@tiengiang.gov.vn\n', encoding="utf-8")
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "new: 4, kept: 1, unresolved: 2" in result.stdout
    assert "unresolved Lê Minh Hiếu (born 1977)" in result.stdout
    rows = read_csv(tmp_path)
    assert list(rows[0]) == ["status", "id", "full_name", "birth_year", "unit", "address", "source", "hint",
                             "quota", "quota_exception"]
    unresolved = [r for r in rows if r["status"] == "unresolved"]
    assert [(r["id"], r["hint"]) for r in unresolved] == [
        ("0004", "mailbox: leminhhieu1977"), ("0005", "mailbox: leminhhieu1977.2")]
    assert {r["id"]: r["address"] for r in rows if r["status"] == "kept"} == {"0006": "leminhhieu@tiengiang.gov.vn"}
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["personnel.yml", "plan.csv", "registry.yml"]
    assert (tmp_path / "registry.yml").read_text(encoding="utf-8").count("\n") == 2


def test_extension_resolves_everyone(tmp_path: Path) -> None:
    (tmp_path / "personnel.yml").write_text(PERSONNEL, encoding="utf-8")
    result = run(tmp_path, "-e", "vmail_naming_extension=true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unresolved: 0" in result.stdout
    rows = read_csv(tmp_path)
    assert {r["status"] for r in rows} == {"new"}
    assert [r["source"] for r in rows].count("extension") == 2


def test_invalid_file_fails_with_the_errors(tmp_path: Path) -> None:
    (tmp_path / "personnel.yml").write_text(PERSONNEL.replace("birth_year: 1977", "birth_year: 1800", 1),
                                            encoding="utf-8")
    result = run(tmp_path)
    assert result.returncode != 0
    assert "people[0] (id 0001, Lê Minh Hiếu): field 'birth_year'" in result.stdout + result.stderr
    assert not (tmp_path / "reports").exists()


QUOTA_PERSONNEL = """\
---
domain: tiengiang.gov.vn
units:
  - {id: stttt, name: "Sở Thông tin và Truyền thông", level: department}
people:
  - {id: "0001", full_name: "Lê Minh Hiếu", birth_year: 1977, unit: stttt, status: active,
     quota: 1GB, quota_exception: "Lãnh đạo UBND tỉnh"}
  - {id: "0002", full_name: "Trần Văn Bình", birth_year: 1980, unit: stttt, status: active, quota: 500MB}
"""


def test_plan_shows_who_is_above_the_quota_ceiling_and_why(tmp_path: Path) -> None:
    (tmp_path / "personnel.yml").write_text(QUOTA_PERSONNEL, encoding="utf-8")
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "above the quota ceiling (500MB) by quota_exception: 1" in result.stdout
    assert "quota exception 0001 Lê Minh Hiếu (stttt): 1GB above 500MB: Lãnh đạo UBND tỉnh" in result.stdout
    rows = {r["id"]: r for r in read_csv(tmp_path)}
    assert (rows["0001"]["quota"], rows["0001"]["quota_exception"]) == ("1GB", "Lãnh đạo UBND tỉnh")
    assert (rows["0002"]["quota"], rows["0002"]["quota_exception"]) == ("500MB", "")


def test_plan_honours_vmail_quota_max(tmp_path: Path) -> None:
    (tmp_path / "personnel.yml").write_text(QUOTA_PERSONNEL, encoding="utf-8")
    higher = run(tmp_path, "-e", "vmail_quota_max=1GB")
    assert higher.returncode == 0, higher.stdout + higher.stderr
    assert "above the quota ceiling (1GB) by quota_exception: 0" in higher.stdout
    (tmp_path / "reports" / "plan.csv").unlink()
    lower = run(tmp_path, "-e", "vmail_quota_max=400MB")
    assert lower.returncode != 0
    out = lower.stdout + lower.stderr
    assert "people[1] (id 0002, Trần Văn Bình): field 'quota': 500MB is above the quota ceiling of 400MB" in out
    assert not (tmp_path / "reports" / "plan.csv").exists()

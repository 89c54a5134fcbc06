"""Shared fixtures of the unit tests: small personnel files, and the Ansible adapters loaded by path."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[2]

# Modest example counts keep the whole unit suite well under a minute.
settings.register_profile("unit", max_examples=40, deadline=None)
settings.load_profile("unit")

DOMAIN = "tiengiang.gov.vn"

SMALL_PERSONNEL: dict[str, Any] = {
    "domain": DOMAIN,
    "units": [
        {"id": "stttt", "name": "Sở Thông tin và Truyền thông", "level": "department", "delegates": ["0001"]},
        {"id": "stttt-ttcntttt", "name": "Trung tâm Công nghệ thông tin và Truyền thông", "level": "office",
         "parent": "stttt"},
        {"id": "chogao", "name": "Chợ Gạo", "level": "district"},
        {"id": "tanphuoc", "name": "Tân Phước", "level": "district"},
        {"id": "tanphuoc-myphuoc", "name": "Mỹ Phước", "level": "commune", "parent": "tanphuoc"},
        {"id": "tanphuoc-ptckh", "name": "Phòng Tài chính - Kế hoạch", "level": "office", "parent": "tanphuoc"},
        {"id": "txcailay", "name": "Cai Lậy", "level": "town"},
        {"id": "txgocong", "name": "Gò Công", "level": "town"},
        {"id": "mytho", "name": "Mỹ Tho", "level": "city"},
    ],
    "people": [
        {"id": "0001", "full_name": "Lê Minh Hiếu", "birth_year": 1977, "unit": "stttt", "title": "Chuyên viên",
         "phone": "0273 3 871 234", "status": "active"},
    ],
}


def filter_plugin(name: str) -> Any:
    """The FilterModule of filter_plugins/<name>.py (a plugin file, not a module of the package)."""
    spec = importlib.util.spec_from_file_location(f"filter_plugin_{name}", REPO / "filter_plugins" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as Ansible's plugin loader does: the plugin finds its own file
    spec.loader.exec_module(module)
    return module.FilterModule()


@pytest.fixture
def personnel() -> dict[str, Any]:
    """A fresh copy of a small valid personnel file."""
    return copy.deepcopy(SMALL_PERSONNEL)


def person(pid: str, full_name: str, birth_year: int = 1980, unit: str = "stttt", **extra: Any) -> dict[str, Any]:
    """A person entry with sensible defaults."""
    return {"id": pid, "full_name": full_name, "birth_year": birth_year, "unit": unit, "status": "active", **extra}

"""Each role's meta/argument_specs.yml agrees with its defaults/main.yml (one source per value).

A default written in both places drifts; a computed default ("{{ ... }}") is stated only in
defaults/main.yml, where it refers to the one source (group_vars/all, the vmail package).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO

SPECS = sorted((REPO / "roles").glob("*/meta/argument_specs.yml"))


def _options(spec_file: Path) -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load(spec_file.read_text(encoding="utf-8"))["argument_specs"]
    options: dict[str, dict[str, Any]] = {}
    for entry in specs.values():
        options.update(entry.get("options") or {})
    return options


@pytest.mark.parametrize("spec_file", SPECS, ids=lambda p: p.parts[-3])
def test_stated_defaults_are_the_role_defaults(spec_file: Path) -> None:
    defaults_file = spec_file.parent.parent / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text(encoding="utf-8")) if defaults_file.exists() else {}
    defaults = defaults or {}
    drifted = []
    for name, option in _options(spec_file).items():
        if "default" not in option:
            continue
        value = defaults.get(name)
        if isinstance(value, str) and "{{" in value:
            drifted.append(f"{name}: computed in defaults/main.yml, restated in argument_specs")
        elif name in defaults and value != option["default"]:
            drifted.append(f"{name}: argument_specs says {option['default']!r}, defaults/main.yml {value!r}")
    assert not drifted, drifted

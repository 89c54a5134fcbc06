"""The package's commands come from one list, pyproject.toml's [project.scripts]: the
control node's pip reads it, and the vmail_package role reads it through the filter."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from vmail.distribution import console_scripts
from vmail.errors import InvalidInput

from conftest import filter_plugin

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_command_names_a_function_of_the_package() -> None:
    scripts = console_scripts(PYPROJECT.read_text(encoding="utf-8"))
    assert {"vmail-accounts", "vmail-lifecycle", "vmail-config-check"} <= set(scripts)
    for name, target in scripts.items():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function)), name


def test_the_filter_gives_what_the_role_installs() -> None:
    convert = filter_plugin("vmail_package").filters()["vmail_console_scripts"]
    text = PYPROJECT.read_text(encoding="utf-8")
    assert convert(text) == console_scripts(text)


@pytest.mark.parametrize(("text", "message"), [
    ("[project\nname = 1", "does not parse"),
    ("[project]\nname = 'vmail'\n", "no [project.scripts]"),
    ("[project.scripts]\nvmail-x = 'vmail.cli.accounts'\n", "vmail-x"),
])
def test_a_broken_list_is_refused_with_its_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace(".", r"\.")):
        console_scripts(text)

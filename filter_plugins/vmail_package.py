"""Filter reading the package's commands from pyproject.toml. Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import distribution
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "vmail_console_scripts": distribution.console_scripts,
    }

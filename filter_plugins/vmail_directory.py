"""Filters of the provincial e-mail directory (Art. 12.5, 14.3, 15.3). Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import directory
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "directory_entries": directory.directory_entries,
        "directory_csv": directory.directory_csv,
        "directory_vcard": directory.directory_vcard,
        "directory_html": directory.directory_html,
        "directory_files": directory.directory_files,
    }

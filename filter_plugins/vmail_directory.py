"""Filters of the provincial e-mail directory (Art. 12.5, 14.3, 15.3).

Thin adapter: the functions live in the ``vmail`` package (src/vmail); each filter's
documentation is the YAML file of its name beside this one (``ansible-doc -t filter NAME``),
and ``vmail.ansible.filters`` checks the arguments against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmail import directory
from vmail.ansible import filters


class FilterModule:  # pylint: disable=too-few-public-methods
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> checked function."""
        return filters({
            "directory_entries": directory.directory_entries,
            "directory_csv": directory.directory_csv,
            "directory_vcard": directory.directory_vcard,
            "directory_html": directory.directory_html,
            "directory_files": directory.directory_files,
        }, Path(__file__).parent)

"""Fast paths of the accounts play for tens of thousands of accounts.

Thin adapter: the functions live in the ``vmail`` package (src/vmail); each filter's
documentation is the YAML file of its name beside this one (``ansible-doc -t filter NAME``),
and ``vmail.ansible.filters`` checks the arguments against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmail import accounts
from vmail.ansible import filters


class FilterModule:  # pylint: disable=too-few-public-methods
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> checked function."""
        return filters({
            "mail_accounts_document": accounts.mail_accounts_document,
            "personnel_from_yaml": accounts.personnel_from_yaml,
            "initial_passwords_json": accounts.initial_passwords_json,
        }, Path(__file__).parent)

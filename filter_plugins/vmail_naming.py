"""Filters of mailbox naming (Art. 4), the personnel file and the password policy (Art. 8.1).

Thin adapter: the functions live in the ``vmail`` package (src/vmail); each filter's
documentation is the YAML file of its name beside this one (``ansible-doc -t filter NAME``),
and ``vmail.ansible.filters`` checks the arguments against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmail import allocation, naming, password
from vmail.ansible import filters


class FilterModule:  # pylint: disable=too-few-public-methods
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> checked function."""
        return filters({
            "vn_localpart": naming.vn_localpart,
            "vn_abbrev": naming.vn_abbrev,
            "password_policy_errors": password.password_policy_errors,
            "personnel_errors": allocation.personnel_errors,
            "mailbox_accounts": allocation.mailbox_accounts,
            "account_registry": allocation.account_registry,
            "naming_plan": allocation.naming_plan,
            "naming_plan_csv": allocation.naming_plan_csv,
        }, Path(__file__).parent)

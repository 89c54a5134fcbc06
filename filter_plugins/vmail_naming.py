"""Filters of mailbox naming (Art. 4), the personnel file and the password policy (Art. 8.1). Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import allocation, naming, password
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "vn_localpart": naming.vn_localpart,
        "vn_abbrev": naming.vn_abbrev,
        "password_policy_errors": password.password_policy_errors,
        "personnel_errors": allocation.personnel_errors,
        "mailbox_accounts": allocation.mailbox_accounts,
        "account_registry": allocation.account_registry,
        "naming_plan": allocation.naming_plan,
        "naming_plan_csv": allocation.naming_plan_csv,
    }

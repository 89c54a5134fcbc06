"""Fast paths of the accounts play for tens of thousands of accounts. Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import accounts
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "mail_accounts_document": accounts.mail_accounts_document,
        "personnel_from_yaml": accounts.personnel_from_yaml,
        "initial_passwords_json": accounts.initial_passwords_json,
    }

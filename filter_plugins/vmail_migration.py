"""Filters of the mailbox migration (playbooks/migrate.yml): its plan and its report. Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import migration
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "migration_plan": migration.migration_plan,
        "migration_report_csv": migration.migration_report_csv,
    }

"""Filters of the yearly report on the use of the e-mail system (Art. 12.6, 12.8, 15.5). Thin adapter over src/vmail (vmail.ansible)."""

from __future__ import annotations

from vmail import report
from vmail.ansible import FilterModuleBase


class FilterModule(FilterModuleBase):  # pylint: disable=too-few-public-methods
    """Ansible entry point; each filter's documentation: filter_plugins/<name>.yml."""

    FUNCTIONS = {
        "yearly_report": report.yearly_report,
        "report_unit_csv": report.report_unit_csv,
        "report_province_csv": report.report_province_csv,
        "report_html": report.report_html,
        "report_files": report.report_files,
        "report_agencies_csv": report.report_agencies_csv,
    }

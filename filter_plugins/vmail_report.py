"""Filters of the yearly report on the use of the e-mail system (Art. 12.6, 12.8, 15.5).

Thin adapter: the functions live in the ``vmail`` package (src/vmail); each filter's
documentation is the YAML file of its name beside this one (``ansible-doc -t filter NAME``),
and ``vmail.ansible.filters`` checks the arguments against it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmail import report
from vmail.ansible import filters


class FilterModule:  # pylint: disable=too-few-public-methods
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        """Filter name -> checked function."""
        return filters({
            "yearly_report": report.yearly_report,
            "report_unit_csv": report.report_unit_csv,
            "report_province_csv": report.report_province_csv,
            "report_html": report.report_html,
            "report_files": report.report_files,
            "report_agencies_csv": report.report_agencies_csv,
        }, Path(__file__).parent)

#!/usr/bin/python
"""Ansible module: write the yearly report (vmail.report.write_report, in-process, on the control node)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vmail_report_tree
short_description: Write the yearly report on the use of the e-mail system (Art. 12.6, 12.8, 15.5)
description:
  - Builds the report of O(document) and makes O(output) hold exactly its files (HTML page, the
    province's, each agency's and each unit's CSV), mode 0640, writing only the files that differ.
  - Runs the vmail package's C(vmail.report.write_report); check mode writes nothing and the diff
    names the files that would change.
version_added: "1.0.0"
author: [vmail-iac]
options:
  document:
    description: '{"accounts": vmail-stats accounts, "stats": [vmail-stats export...], "year", "units"}.'
    type: dict
    required: true
  output:
    description: The report directory (reports/<year>).
    type: path
    required: true
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
"""

EXAMPLES = r"""
- name: Write the report
  vmail_report_tree:
    document: "{{ report_input }}"
    output: "{{ playbook_dir }}/../reports/2026"
  delegate_to: localhost
"""

RETURN = r"""
written: {description: Files written (or that would be)., returned: always, type: list}
files: {description: How many files the report has., returned: always, type: int}
province: {description: The province's figures., returned: always, type: dict}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec={"document": {"type": "dict", "required": True},
                                          "output": {"type": "path", "required": True}},
                           supports_check_mode=True)
    try:
        from vmail import report  # pylint: disable=import-outside-toplevel
        from vmail.errors import InvalidInput  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        module.fail_json(msg=f"the vmail package is not importable by this Python (scripts/setup.sh): {exc}")
    try:
        result = report.write_report(module.params["document"], module.params["output"], dry_run=module.check_mode)
    except InvalidInput as exc:
        module.fail_json(msg=str(exc))
    diff = {"before": "".join(f"{f}\n" for f in result["removed"]),
            "after": "".join(f"{f}\n" for f in result["written"])}
    module.exit_json(**result, **({"diff": diff} if module._diff and result["changed"] else {}))  # pylint: disable=protected-access


if __name__ == "__main__":
    main()

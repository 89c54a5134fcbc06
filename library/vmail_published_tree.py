#!/usr/bin/python
"""Ansible module: write a published tree of files - the address book or the yearly report (in-process)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vmail_published_tree
short_description: Write the address book (Art. 12.5, 14.3, 15.3) or the yearly report (Art. 12.6, 12.8, 15.5)
description:
  - Makes O(output) hold exactly the files of O(document), writing only the files that differ
    (atomically) and removing stale ones.
  - C(directory) - the searchable page, the whole province's and each unit's CSV and vCard
    (C(vmail.directory.build), mode 0644, on the webmail host).
  - C(report) - the HTML page and the CSV files of the year (C(vmail.report.write_report),
    mode 0640: per-account use is personal data; on the control node).
  - Runs the vmail package in-process (roles/vmail_package on hosts, scripts/setup.sh on the
    control node). Check mode computes the same files and writes nothing; the diff names them.
version_added: "1.0.0"
author: [vmail-iac]
options:
  content:
    description: Which tree.
    type: str
    choices: [directory, report]
    required: true
  document:
    description:
      - 'C(directory): {"entries": directory_entries, "units": the personnel units, "title", "generated"}.'
      - 'C(report): {"accounts": vmail-stats accounts, "stats": [vmail-stats export...], "year", "units"}.'
    type: dict
    required: true
  output:
    description: The directory to fill.
    type: path
    required: true
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
"""

EXAMPLES = r"""
- name: Write the report
  vmail_published_tree:
    content: report
    document: "{{ report_input }}"
    output: "{{ playbook_dir }}/../reports/2026"
"""

RETURN = r"""
written: {description: Files written (or that would be)., returned: always, type: list}
removed: {description: Stale files removed (or that would be)., returned: always, type: list}
files: {description: How many files the report has., returned: content=report, type: int}
province: {description: The province's figures., returned: content=report, type: dict}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec={"content": {"type": "str", "required": True, "choices": ["directory", "report"]},
                                          "document": {"type": "dict", "required": True},
                                          "output": {"type": "path", "required": True}},
                           supports_check_mode=True)
    try:
        from vmail import directory, report  # pylint: disable=import-outside-toplevel
        from vmail.errors import InvalidInput  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        module.fail_json(msg=f"the vmail package is not importable here (roles/vmail_package, scripts/setup.sh): {exc}")
    write = directory.build if module.params["content"] == "directory" else report.write_report
    try:
        result = write(module.params["document"], module.params["output"], dry_run=module.check_mode)
    except InvalidInput as exc:
        module.fail_json(msg=str(exc))
    diff = {"before": "".join(f"{f}\n" for f in result["removed"]),
            "after": "".join(f"{f}\n" for f in result["written"])}
    module.exit_json(**result, **({"diff": diff} if module._diff and result["changed"] else {}))  # pylint: disable=protected-access


if __name__ == "__main__":
    main()

#!/usr/bin/python
"""Ansible module: publish the provincial e-mail directory (vmail.directory.build, in-process)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vmail_directory_tree
short_description: Write the published address book (page, CSV, vCard; Art. 12.5, 14.3, 15.3)
description:
  - Makes O(output) hold exactly the directory of O(document) - the searchable page, the whole
    province's and each unit's CSV and vCard - writing only the files that differ and removing
    stale ones. Runs the vmail package's C(vmail.directory.build) (roles/vmail_package).
  - Check mode computes the same files and writes nothing; the diff names the files.
version_added: "1.0.0"
author: [vmail-iac]
options:
  document:
    description: '{"entries": directory_entries, "units": the personnel units, "title", "generated"}.'
    type: dict
    required: true
  output:
    description: The published directory tree.
    type: path
    required: true
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
"""

EXAMPLES = r"""
- name: Publish the directory
  vmail_directory_tree:
    document: "{{ {'entries': entries, 'units': personnel.units, 'title': 'Danh bạ'} }}"
    output: /var/www/vmail-directory
"""

RETURN = r"""
written: {description: Files written (or that would be)., returned: always, type: list}
removed: {description: Stale files removed (or that would be)., returned: always, type: list}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def main() -> None:
    module = AnsibleModule(argument_spec={"document": {"type": "dict", "required": True},
                                          "output": {"type": "path", "required": True}},
                           supports_check_mode=True)
    try:
        from vmail import directory  # pylint: disable=import-outside-toplevel
        from vmail.errors import InvalidInput  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        module.fail_json(msg=f"the vmail package is not installed on this host (roles/vmail_package): {exc}")
    try:
        result = directory.build(module.params["document"], module.params["output"], dry_run=module.check_mode)
    except InvalidInput as exc:
        module.fail_json(msg=str(exc))
    diff = {"before": "".join(f"{f}\n" for f in result["removed"]),
            "after": "".join(f"{f}\n" for f in result["written"])}
    module.exit_json(**result, **({"diff": diff} if module._diff and result["changed"] else {}))  # pylint: disable=protected-access


if __name__ == "__main__":
    main()

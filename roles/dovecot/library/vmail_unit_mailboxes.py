#!/usr/bin/python
"""Ansible module: share unit mailboxes with their delegates (vmail.cli.unit_mailboxes, in-process)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vmail_unit_mailboxes
short_description: Share each unit mailbox's INBOX with its delegates (Art. 9, 16)
description:
  - Each unit INBOX gets an ACL granting the owner its rights and C(group=<unit address>) the
    delegate rights (Dovecot puts a delegate in that group from the accounts database).
  - Delegates removed since the last run are kicked out of their open sessions (Art. 9.2).
  - Runs the vmail package's C(vmail.cli.unit_mailboxes) (roles/vmail_package) in-process;
    check mode plans without writing or kicking, and the diff shows the ACLs and delegates.
version_added: "1.0.0"
author: [vmail-iac]
options:
  units:
    description: "The unit mailboxes: [{address, delegates: [addresses]}]."
    type: list
    elements: dict
    required: true
  mail_root:
    description: Root of the maildirs (<root>/<domain>/<localpart>/Maildir).
    type: path
    required: true
  rights:
    description: RFC 4314 rights of the delegates.
    type: str
    default: lrwstipekx
  owner_rights:
    description: RFC 4314 rights of the mailbox owner.
    type: str
    default: lrwstipekx
  state:
    description: Where the delegates of the last run are recorded.
    type: path
    default: /var/lib/vmail/unit-delegates.json
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
"""

EXAMPLES = r"""
- name: Share unit mailboxes
  vmail_unit_mailboxes:
    units: [{address: stttt@tiengiang.gov.vn, delegates: [leminhhieu@tiengiang.gov.vn]}]
    mail_root: /var/vmail
"""

RETURN = r"""
acl_written: {description: Unit addresses whose INBOX ACL was (or would be) written., returned: always, type: list}
kicked: {description: Former delegates kicked out of their sessions., returned: always, type: list}
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "units": {"type": "list", "elements": "dict", "required": True},
            "mail_root": {"type": "path", "required": True},
            "rights": {"type": "str", "default": "lrwstipekx"},
            "owner_rights": {"type": "str", "default": "lrwstipekx"},
            "state": {"type": "path", "default": "/var/lib/vmail/unit-delegates.json"},
        },
        supports_check_mode=True,
    )
    try:
        from vmail.cli import unit_mailboxes  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        module.fail_json(msg=f"the vmail package is not installed on this host (roles/vmail_package): {exc}")
    p = module.params
    try:
        result = unit_mailboxes.share(p["units"], p["mail_root"], p["rights"], p["owner_rights"], p["state"],
                                      check_mode=module.check_mode)
    except unit_mailboxes.ShareFailed as exc:
        module.fail_json(msg=str(exc))
    diff = result.pop("diff")
    module.exit_json(**result, **({"diff": diff} if module._diff else {}))  # pylint: disable=protected-access


if __name__ == "__main__":
    main()

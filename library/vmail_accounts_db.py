#!/usr/bin/python
"""Ansible module: the accounts database of the vmail platform (vmail.cli.accounts, in-process)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vmail_accounts_db
short_description: Synchronise the vmail accounts database, set initial passwords, publish it, lock accounts
description:
  - Runs one command of C(vmail-accounts) (the vmail package's C(vmail.cli.accounts), installed
    on the host by the vmail_package role) in the module's process and returns its result.
  - C(sync) upserts every account of the accounts document in one transaction; C(set_initial)
    hashes and stores the initial passwords of accounts that have none; C(publish) mirrors the
    database into PostgreSQL for readers on other hosts; C(lock) and C(unlock) lock an account at
    once or lift the lock (Art. 12.7; logins refused, open sessions ended, logged with who and why).
  - Check mode runs the same command with C(--dry-run) (one transaction, rolled back), so the
    result and the diff say exactly what a real run would change.
version_added: "1.0.0"
author: [vmail-iac]
options:
  db:
    description: The SQLite accounts database.
    type: path
    required: true
  command:
    description: What to do.
    type: str
    choices: [sync, set_initial, publish, lock, unlock]
    required: true
  address:
    description: The account (C(lock), C(unlock)).
    type: str
  reason:
    description: Why (C(lock), C(unlock); kept in the lock log).
    type: str
  by:
    description: Who orders it (C(lock), C(unlock); kept in the lock log).
    type: str
  kind:
    description: The kind of lock (C(lock)).
    type: str
    choices: [emergency, inactive]
    default: emergency
  document_path:
    description: The accounts document on the host (C(sync)); ignored when O(document) is given.
    type: path
  document:
    description: The accounts document's text (C(sync); used in check mode, where the file was not written).
    type: str
  passwords:
    description: "JSON text {id: cleartext} of initial passwords (C(set_initial)); secret: use no_log."
    type: str
  pg:
    description: libpq connection string of the PostgreSQL copy (C(publish)); default the host's publish configuration.
    type: str
  readers:
    description: PostgreSQL roles granted SELECT (C(publish)).
    type: list
    elements: str
    default: []
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
"""

EXAMPLES = r"""
- name: Upsert the accounts
  vmail_accounts_db:
    db: /var/lib/vmail/accounts.sqlite
    command: sync
    document_path: /etc/vmail/accounts.json
"""

RETURN = r"""
result:
  description: The command's JSON result (sync: created, updated, retired, disabled, password_reset, need_password).
  returned: always
  type: raw
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

# What a sync result lists, shown in --diff (ids only: no personal data in the diff).
DIFF_KEYS = ("created", "updated", "retired", "disabled", "password_reset")


def _argv(params: dict, check_mode: bool) -> tuple[list[str], str | None]:
    argv, stdin = ["--db", params["db"]], None
    command = params["command"]
    if command == "sync":
        if params["document"] is not None:
            argv += ["sync", "--json", "-"]
            stdin = params["document"]
        else:
            argv += ["sync", "--json", params["document_path"]]
    elif command == "set_initial":
        argv += ["set-initial"]
        stdin = params["passwords"] or "{}"
    elif command in ("lock", "unlock"):
        argv += [command, params["address"], "--reason", params["reason"], "--by", params["by"]]
        argv += ["--kind", params["kind"]] if command == "lock" else []
    else:
        argv += ["publish"] + (["--pg", params["pg"]] if params["pg"] else [])
        argv += [arg for reader in params["readers"] for arg in ("--reader", reader)]
    return argv + (["--dry-run"] if check_mode else []), stdin


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "db": {"type": "path", "required": True},
            "command": {"type": "str", "required": True,
                        "choices": ["sync", "set_initial", "publish", "lock", "unlock"]},
            "address": {"type": "str"},
            "reason": {"type": "str"},
            "by": {"type": "str"},
            "kind": {"type": "str", "default": "emergency", "choices": ["emergency", "inactive"]},
            "document_path": {"type": "path"},
            "document": {"type": "str"},
            "passwords": {"type": "str", "no_log": True},
            "pg": {"type": "str", "no_log": True},
            "readers": {"type": "list", "elements": "str", "default": []},
        },
        required_if=[("command", "set_initial", ["passwords"]), ("command", "lock", ["address", "reason", "by"]),
                     ("command", "unlock", ["address", "reason", "by"])],
        supports_check_mode=True,
    )
    params = module.params
    if params["command"] == "sync" and params["document"] is None and not params["document_path"]:
        module.fail_json(msg="command=sync needs document_path or document")
    try:
        from vmail.cli import accounts  # pylint: disable=import-outside-toplevel
    except ImportError as exc:
        module.fail_json(msg=f"the vmail package is not installed on this host (roles/vmail_package): {exc}")
    argv, stdin = _argv(params, module.check_mode)
    try:
        result = accounts.run(argv, stdin=stdin)
    except accounts.CommandFailed as exc:
        module.fail_json(msg=str(exc))
    changed = bool(result.get("changed"))
    output = {"changed": changed, "result": result}
    if module._diff and changed:  # pylint: disable=protected-access
        lines = [f"{key}: {', '.join(result[key])}" for key in DIFF_KEYS if result.get(key)]
        if params["command"] == "set_initial":
            lines = [f"initial password set: {', '.join(result['set'])}"]
        elif params["command"] in ("lock", "unlock"):
            lines = [f"{result['address']}: {params['command']}ed ({params['reason']})"]
        elif params["command"] == "publish":
            lines = [f"{table}: {counts}" for table, counts in sorted(result.items()) if isinstance(counts, dict)]
        output["diff"] = {"prepared": "\n".join(lines) + "\n"}
    module.exit_json(**output)


if __name__ == "__main__":
    main()

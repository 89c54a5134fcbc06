"""Derive the mailbox accounts from HR's personnel file in one task, on the control node.

Reads the personnel file and the address registry (libyaml), derives the accounts with
``mailbox_accounts`` (vmail.allocation, called as Python), checks the registry
against the addresses the accounts database already holds (one command on that host), writes
the registry back and sets the fact ``vmail_accounts_json``: the accounts as ONE JSON string.
The 20,000-element list is built in Python and never becomes an Ansible value: as a fact it cost
seconds to store and about a second on each later task, and templating or validating it cost
minutes (docs/scaling.md); one string costs nothing. Plays that want the list parse it where they
use it (``vmail_accounts: "{{ vmail_accounts_json | from_json }}"``, well under a second at 20k).
The task's own result stays compact (counts).

No secrets pass here: the initial passwords are the vmail_initial_passwords plugin's (no_log),
so this task can show its errors (an invalid personnel file, a registry that disagrees with the
database) and the registry diff in --check --diff.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

# The naming rules are the vmail package's (src/vmail); calling them as Python is what keeps
# the accounts out of Jinja.
from vmail.allocation import account_registry, mailbox_accounts, quota_exceptions
from vmail.errors import InvalidInput
from vmail.sizes import DEFAULT_QUOTA_BYTES, DEFAULT_QUOTA_MAX, quota_ceiling

DOCUMENTATION = r"""
module: vmail_accounts
short_description: Personnel file to mailbox accounts (fact vmail_accounts_json), registry kept
description:
  - Runs on the control node; the only thing it runs on the task's host (delegate it to the
    accounts database host) is C(database_command list-addresses), read-only, also in check mode.
  - Fails, before writing anything, when the registry disagrees with the accounts database.
  - In check mode writes nothing; with --diff shows the registry lines that would be added.
options:
  personnel:
    description: HR's personnel file (YAML).
    type: path
    required: true
  registry:
    description: The address registry (id -> address), read and written back; may not exist yet.
    type: path
    required: true
  extension:
    description: Use the extension naming rung (docs/naming.md).
    type: bool
    default: false
  default_quota_bytes:
    description: Quota of people without a quota field.
    type: int
    default: 524288000
  quota_max:
    description:
      - The quota ceiling of Art. 7 (vmail_quota_max), e.g. 500MB. A person above it needs a
        quota_exception in the personnel file; those people are returned in quota_exceptions.
    type: raw
    default: 500MB
  database_command:
    description:
      - The vmail-accounts command on the task's host. When it is not installed there (first
        run) the database holds no address. Empty skips the database check.
    type: str
    default: /usr/local/sbin/vmail-accounts
  fact:
    description: Name of the fact set to the accounts, a JSON list of dicts sorted by address.
    type: str
    default: vmail_accounts_json
  units_fact:
    description:
      - Name of the fact set to the personnel file's units (a JSON list), so later plays (the
        directory) need not parse the file again.
    type: str
    default: vmail_units_json
"""

RETURN = r"""
accounts:
  description: Number of accounts (units and people).
  type: int
units:
  description: Number of unit mailboxes.
  type: int
registry_added:
  description: Ids added to the registry by this run (or that would be, in check mode).
  type: list
quota_exceptions:
  description: "People above the quota ceiling, one 'id name: quota above ceiling (quota_exception)' each."
  type: list
ansible_facts:
  description: The fact (default vmail_accounts_json) holding the accounts as JSON text.
  type: dict
"""

REGISTRY_HEADER = ("---\n"
                   "# Address registry: account id -> address, maintained by playbooks/accounts.yml.\n"
                   "# Commit it. An address here never moves to another id and is never reissued.\n")
# Mismatches named in the failure message; the count gives the rest.
SHOWN_MISMATCHES = 20

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_file(path: str, what: str, missing_ok: bool = False) -> Any:
    """Parse a YAML file with libyaml; a clear AnsibleActionFail when it is missing or invalid."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise AnsibleActionFail(f"vmail_accounts: the {what} {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnsibleActionFail(f"vmail_accounts: cannot read the {what} {path}: {exc}") from exc
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506  # nosec B506 - a safe loader
    except yaml.YAMLError as exc:
        raise AnsibleActionFail(f"vmail_accounts: the {what} {path} is not valid YAML: {exc}") from exc


def registry_mismatches(database: Mapping[str, str], registry: Mapping[str, str]) -> list[str]:
    """Every id whose address in the database is not the registry's, in the database's order."""
    return [f"{aid}: database {address}, registry {registry.get(aid) or 'none'}"
            for aid, address in database.items() if registry.get(aid) != address]


def mismatch_message(registry_path: str, host: str, mismatches: list[str]) -> str:
    """The message that stops the run (molecule/mail/tests/test_accounts.py looks for it)."""
    return (f"The address registry {registry_path} disagrees with the accounts database on {host} "
            f"for {len(mismatches)} account(s): {'; '.join(mismatches[:SHOWN_MISMATCHES])}. Restore "
            "the registry from version control (addresses never move), or fix the database; nothing "
            "was changed.")


def registry_text(registry: Mapping[str, str]) -> str:
    """The registry file: what to_nice_yaml(indent=2, sort_keys=true) wrote under the header."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(dict(registry), Dumper=dumper, indent=2, allow_unicode=True,
                     default_flow_style=False, sort_keys=True)
    return REGISTRY_HEADER + body


def derive(personnel: Any, registry: Any, extension: bool, default_quota_bytes: int,
           personnel_path: str, registry_path: str,
           quota_max: Any = DEFAULT_QUOTA_MAX) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The accounts and the registry to write back; AnsibleActionFail with every problem."""
    if registry is not None and not isinstance(registry, Mapping):
        raise AnsibleActionFail(f"vmail_accounts: the registry {registry_path} must map ids to addresses, "
                                f"got {type(registry).__name__}")
    try:
        accounts = mailbox_accounts(personnel, registry or {}, extension=extension,
                                    default_quota_bytes=default_quota_bytes,
                                    source=personnel_path, registry_source=registry_path, quota_max=quota_max)
        new_registry = account_registry(accounts, registry or {})
    except InvalidInput as exc:  # the message lists every problem
        raise AnsibleActionFail(str(exc)) from exc
    return accounts, new_registry


def quota_exception_lines(personnel: Any, quota_max: Any = DEFAULT_QUOTA_MAX) -> list[str]:
    """'id name: quota above ceiling (reason)' for each person above the quota ceiling."""
    return [f"{e['id']} {e['name']}: {e['quota']} above {e['ceiling']} ({e['quota_exception']})"
            for e in quota_exceptions(personnel, quota_max)]


def write_atomically(path: str, text: str, mode: int = 0o644) -> None:
    """Replace the file in one rename, so an interrupted run never leaves half a registry."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


class ActionModule(ActionBase):
    """Personnel file -> accounts (fact), registry checked against the database and kept."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("personnel", "registry", "extension", "default_quota_bytes", "quota_max",
                             "database_command", "fact", "units_fact"))

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = self._task.args
        personnel_path, registry_path = args.get("personnel"), args.get("registry")
        if not personnel_path or not registry_path:
            raise AnsibleActionFail("vmail_accounts needs 'personnel' and 'registry' (paths)")
        extension = self._bool(args.get("extension", False), "extension")
        quota = args.get("default_quota_bytes", DEFAULT_QUOTA_BYTES)
        if isinstance(quota, bool) or not isinstance(quota, int) or quota <= 0:
            raise AnsibleActionFail(f"vmail_accounts: default_quota_bytes must be a positive integer, got {quota!r}")
        quota_max = args.get("quota_max", DEFAULT_QUOTA_MAX)
        try:
            quota_ceiling(quota_max)
        except Exception as exc:  # AnsibleFilterError (or its stand-in)
            raise AnsibleActionFail(f"vmail_accounts: {exc}") from exc
        command = str(args.get("database_command", "/usr/local/sbin/vmail-accounts") or "")
        fact = str(args.get("fact") or "vmail_accounts_json")
        units_fact = str(args.get("units_fact") or "vmail_units_json")

        personnel = load_yaml_file(str(personnel_path), "personnel file")
        registry = load_yaml_file(str(registry_path), "registry", missing_ok=True)
        accounts, new_registry = derive(personnel, registry, extension, quota,
                                        str(personnel_path), str(registry_path), quota_max)
        old_registry = {str(k): str(v) for k, v in (registry or {}).items()}

        # Before anything is written: the database is the truth about issued addresses.
        if command:
            mismatches = registry_mismatches(self._database_addresses(command), old_registry)
            if mismatches:
                host = self._task.delegate_to or (task_vars or {}).get("inventory_hostname", "?")
                raise AnsibleActionFail(mismatch_message(str(registry_path), str(host), mismatches))

        after = registry_text(new_registry)
        before = self._read_text(str(registry_path))
        changed = before != after
        if changed and not self._task.check_mode:
            write_atomically(str(registry_path), after)
        if changed and self._task.diff:
            result["diff"] = {"before": before or "", "after": after,
                              "before_header": str(registry_path), "after_header": str(registry_path)}
        result.update(
            changed=changed,
            accounts=len(accounts),
            units=sum(1 for a in accounts if a["kind"] == "unit"),
            registry_added=sorted(set(new_registry) - set(old_registry)),
            quota_exceptions=quota_exception_lines(personnel, quota_max),
            # The units as read here, for the plays after (the directory): the personnel
            # file is not parsed a third time.
            ansible_facts={fact: json.dumps(accounts, ensure_ascii=False, separators=(",", ":")),
                           units_fact: json.dumps((personnel or {}).get("units") or [], ensure_ascii=False,
                                                  separators=(",", ":"), default=str)},
        )
        return result

    def _database_addresses(self, command: str) -> dict[str, str]:
        """id -> address held by the accounts database ({} before the first run): one command."""
        quoted = "'" + command.replace("'", "'\\''") + "'"
        out = self._low_level_execute_command(
            f"if [ -x {quoted} ]; then {quoted} list-addresses; else echo '{{}}'; fi")
        if out.get("rc") != 0:
            # Both streams: over SSH stderr may hold only the connection's own messages.
            said = "\n".join(part.strip() for part in (out.get("stderr"), out.get("stdout")) if part and part.strip())
            raise AnsibleActionFail(f"vmail_accounts: {command} list-addresses failed (rc {out.get('rc')}): "
                                    f"{said[-2000:]}")
        try:
            addresses = json.loads(out.get("stdout") or "{}")
        except ValueError as exc:
            raise AnsibleActionFail(f"vmail_accounts: {command} list-addresses printed no JSON: {exc}") from exc
        if not isinstance(addresses, dict):
            raise AnsibleActionFail(f"vmail_accounts: {command} list-addresses printed no id -> address map")
        return {str(k): str(v) for k, v in addresses.items()}

    @staticmethod
    def _read_text(path: str) -> str | None:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    @staticmethod
    def _bool(value: Any, name: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        raise AnsibleActionFail(f"vmail_accounts: {name} must be a boolean, got {value!r}")

"""Keep the initial passwords of every account in vault-encrypted files.

Runs on the control node (an action plugin, so it encrypts with the vault
secrets Ansible already holds). One file per unit, ``<dir>/<unit>.vault.yml``,
for that unit's IT officer (Art. 9.3, 10.1: the user must change it at once).

A password is generated once per account, from ``secrets`` (the OS CSPRNG),
compliant with Art. 8.1, and then kept: a re-run changes no file unless an
account is new, moved to another unit, left, or asked for a reset (its
``password_reset`` token differs from the stored one). Check mode reports
what would change and writes nothing.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.vault import VaultLib
from ansible.plugins.action import ActionBase

# The one password policy (Art. 8.1) and its generator: the vmail package's.
from vmail.errors import InvalidInput
from vmail.password import generate_password as _generate
from vmail.password import password_policy_errors

DOCUMENTATION = r"""
module: vmail_initial_passwords
short_description: Generate and keep initial passwords in per-unit vault files
options:
  dir:
    description: Directory of the per-unit vault files (created if missing).
    type: path
    required: true
  accounts:
    description:
      - Accounts from the mailbox_accounts filter, as a list of dicts or as its JSON text (the
        fact vmail_accounts_json: one string instead of 20k dicts through templating).
    type: raw
    required: true
  length:
    description: Length of generated passwords.
    type: int
    default: 14
  fact:
    description:
      - Also set this fact to the passwords (id -> cleartext), sparing a set_fact task that would
        template the whole map again. Empty sets none.
    type: str
    default: ""
"""

RETURN = r"""
passwords:
  description: Account id to cleartext initial password (secret; use no_log). Not returned
    when O(fact) is set (the fact holds them; twice would cost twice at 20k accounts).
  type: dict
generated:
  description: Ids of accounts that got a new password in this run.
  type: list
written:
  description: Files written (or that would be, in check mode).
  type: list
"""

# libyaml where available: the pure-Python loader and dumper took most of the
# 30 s this plugin spent on 20k accounts. Same data, same text for these files.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_unit_file(content: dict[str, Any]) -> str:
    """The YAML text of one unit's file (what is compared with the decrypted file)."""
    return yaml.dump(content, Dumper=_DUMPER, allow_unicode=True, sort_keys=True)


def generate_password(length: int) -> str:
    """A random password with every class Art. 8.1 requires (vmail.password.generate_password)."""
    try:
        return _generate(length)
    except InvalidInput as exc:
        raise AnsibleActionFail(str(exc)) from exc


def wanted_files(accounts: list[dict[str, Any]], existing: dict[str, dict[str, Any]],
                 length: int) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Return file name -> content for every unit, and the ids generated anew."""
    files: dict[str, dict[str, Any]] = {}
    generated: list[str] = []
    for account in accounts:
        if account["kind"] != "person" or account["status"] == "left":
            continue
        old = existing.get(account["id"])
        token = account.get("password_reset", "") or ""
        if old is None or old.get("password_reset", "") != token:
            password = generate_password(length)
            generated.append(account["id"])
        else:
            password = old["password"]
            # A password typed into a vault file by hand gets the same policy as any other.
            reasons = password_policy_errors(password) if isinstance(password, str) else ["is not a string"]
            if reasons:
                raise AnsibleActionFail(
                    f"vmail_initial_passwords: {account['unit']}.vault.yml, account {account['id']}"
                    f" ({account['address']}): the initial password breaks Art. 8.1: {'; '.join(reasons)}."
                    " Put a compliant one there, or delete the entry to have one generated. Nothing was changed.")
        unit_file = files.setdefault(account["unit"], {
            "unit": account["unit"], "unit_name": account["unit_name"], "accounts": {}})
        unit_file["accounts"][account["id"]] = {
            "address": account["address"],
            "display_name": account["display_name"],
            "password": password,
            "password_reset": token,
        }
    return files, generated


class ActionModule(ActionBase):
    """Generate missing initial passwords; keep the rest."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("dir", "accounts", "length", "fact"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        directory = self._task.args.get("dir")
        accounts = self._task.args.get("accounts")
        length = int(self._task.args.get("length", 14))
        if isinstance(accounts, str):
            try:
                accounts = json.loads(accounts)
            except ValueError as exc:
                raise AnsibleActionFail(f"vmail_initial_passwords: 'accounts' is not JSON: {exc}") from exc
        else:
            # Plain types: Ansible's tagged strings do not serialise with yaml.safe_dump.
            accounts = json.loads(json.dumps(accounts))
        if not directory or not isinstance(accounts, list) or not all(isinstance(a, dict) for a in accounts):
            raise AnsibleActionFail("vmail_initial_passwords needs 'dir' (path) and 'accounts' "
                                    "(a list of dicts, or its JSON text)")
        vault = self._loader._vault  # pylint: disable=protected-access
        if not vault.secrets:
            raise AnsibleActionFail(
                "vmail_initial_passwords: no vault password is configured; the initial "
                "passwords are only ever written encrypted (see scripts/vault-pass)")

        existing, current_text = self._read_existing(directory, vault)
        files, generated = wanted_files(accounts, existing, length)

        written = []
        texts: dict[str, str] = {}
        for unit, content in sorted(files.items()):
            path = os.path.join(directory, f"{unit}.vault.yml")
            texts[path] = dump_unit_file(content)
            if current_text.get(path) != texts[path]:
                written.append(path)
        stale = sorted(set(current_text) - {os.path.join(directory, f"{u}.vault.yml") for u in files})

        if not self._task.check_mode:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            for path in written:
                unit = os.path.basename(path)[: -len(".vault.yml")]
                text = texts[path]
                header = ("# Initial passwords of unit %s, for its IT officer. Each user must\n"
                          "# change theirs at first login (Art. 9.3, 10.1).\n" % unit)
                self._write_encrypted(path, vault, header + text)
            for path in stale:
                os.remove(path)

        passwords = {aid: entry["password"]
                     for content in files.values() for aid, entry in content["accounts"].items()}
        fact = self._task.args.get("fact")
        if fact:
            result["ansible_facts"] = {str(fact): passwords}
        else:
            result["passwords"] = passwords
        result.update(
            changed=bool(written or stale),
            generated=sorted(generated),
            written=written,
            removed=stale,
        )
        return result

    @staticmethod
    def _read_existing(directory: str, vault: VaultLib):
        """Return id -> entry over all unit files, and path -> decrypted text."""
        entries: dict[str, dict[str, Any]] = {}
        texts: dict[str, str] = {}
        if not os.path.isdir(directory):
            return entries, texts
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".vault.yml"):
                continue
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                raw = handle.read()
            try:
                text = vault.decrypt(raw).decode("utf-8")
            except Exception as exc:  # the vault error says which secret failed
                raise AnsibleActionFail(f"cannot decrypt {path}: {exc}") from exc
            body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
            texts[path] = body
            content = yaml.load(body, Loader=_LOADER) or {}  # noqa: S506  # nosec B506 - a safe loader
            for aid, entry in (content.get("accounts") or {}).items():
                entries[str(aid)] = entry
        return entries, texts

    @staticmethod
    def _write_encrypted(path: str, vault: VaultLib, text: str) -> None:
        """Encrypt and replace atomically; the file is readable by its owner only."""
        data = vault.encrypt(text)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

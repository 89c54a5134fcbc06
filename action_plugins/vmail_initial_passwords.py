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
import secrets
import string
import tempfile
from typing import Any

import yaml
from ansible.errors import AnsibleActionFail
from ansible.parsing.vault import VaultLib
from ansible.plugins.action import ActionBase

DOCUMENTATION = r"""
module: vmail_initial_passwords
short_description: Generate and keep initial passwords in per-unit vault files
options:
  dir:
    description: Directory of the per-unit vault files (created if missing).
    type: path
    required: true
  accounts:
    description: Accounts from the mailbox_accounts filter.
    type: list
    elements: dict
    required: true
  length:
    description: Length of generated passwords.
    type: int
    default: 14
"""

RETURN = r"""
passwords:
  description: Account id to cleartext initial password (secret; use no_log).
  type: dict
generated:
  description: Ids of accounts that got a new password in this run.
  type: list
written:
  description: Files written (or that would be, in check mode).
  type: list
"""

# Characters that survive being read aloud or copied from paper: no 0/O, 1/l/I.
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
LOWER = "abcdefghijkmnopqrstuvwxyz"
DIGITS = "23456789"
# Special characters that need no quoting in a shell, URL form or YAML.
SPECIAL = "!#%&*+-=?@"


def generate_password(length: int) -> str:
    """Return a random password with every class Art. 8.1 requires."""
    if length < 8:
        raise ValueError("length must be at least 8")
    rng = secrets.SystemRandom()
    chars = [rng.choice(UPPER), rng.choice(LOWER), rng.choice(DIGITS), rng.choice(SPECIAL)]
    pool = UPPER + LOWER + DIGITS + SPECIAL
    chars += [rng.choice(pool) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)


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
    _VALID_ARGS = frozenset(("dir", "accounts", "length"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        directory = self._task.args.get("dir")
        accounts = self._task.args.get("accounts")
        length = int(self._task.args.get("length", 14))
        if not directory or not isinstance(accounts, list):
            raise AnsibleActionFail("vmail_initial_passwords needs 'dir' (path) and 'accounts' (list)")
        # Plain types: Ansible's tagged strings do not serialise with yaml.safe_dump.
        accounts = json.loads(json.dumps(accounts))
        vault = self._loader._vault  # pylint: disable=protected-access
        if not vault.secrets:
            raise AnsibleActionFail(
                "vmail_initial_passwords: no vault password is configured; the initial "
                "passwords are only ever written encrypted (see scripts/vault-pass)")

        existing, current_text = self._read_existing(directory, vault)
        files, generated = wanted_files(accounts, existing, length)

        written = []
        for unit, content in sorted(files.items()):
            path = os.path.join(directory, f"{unit}.vault.yml")
            text = yaml.safe_dump(content, allow_unicode=True, sort_keys=True)
            if current_text.get(path) != text:
                written.append(path)
        stale = sorted(set(current_text) - {os.path.join(directory, f"{u}.vault.yml") for u in files})

        if not self._task.check_mode:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            for path in written:
                unit = os.path.basename(path)[: -len(".vault.yml")]
                text = yaml.safe_dump(files[unit], allow_unicode=True, sort_keys=True)
                header = ("# Initial passwords of unit %s, for its IT officer. Each user must\n"
                          "# change theirs at first login (Art. 9.3, 10.1).\n" % unit)
                self._write_encrypted(path, vault, header + text)
            for path in stale:
                os.remove(path)

        result.update(
            changed=bool(written or stale),
            passwords={aid: entry["password"]
                       for content in files.values() for aid, entry in content["accounts"].items()},
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
            content = yaml.safe_load(body) or {}
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

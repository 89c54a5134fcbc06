"""Share each unit mailbox with its delegates (Art. 9, 16); managed by Ansible.

stdin: JSON [{"address": unit address, "delegates": [person addresses]}, ...]
stdout: JSON {"changed": bool, "acl_written": [...], "kicked": [...]}

Each unit INBOX gets an ACL granting the owner everything and
group=<unit address> the delegate rights; Dovecot's userdb puts a person in
that group while the accounts database lists them as a delegate, so a
handover needs no ACL change. A person removed as delegate since the last run
is kicked: open IMAP sessions keep the groups of their login, and must not
keep the unit's mail (Art. 9.2).

The Ansible module vmail_unit_mailboxes (roles/dovecot/library) calls ``share``
in-process, with check mode (plan only) and diff.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from vmail import sessions

DOVEADM = "/usr/bin/doveadm"
DEFAULT_STATE = "/var/lib/vmail/unit-delegates.json"
DEFAULT_RIGHTS = "lrwstipekx"

# RFC 4314 letters -> doveadm's right names.
RIGHT_NAMES = {"l": "lookup", "r": "read", "w": "write", "s": "write-seen", "t": "write-deleted",
               "i": "insert", "p": "post", "e": "expunge", "k": "create", "x": "delete",
               "a": "admin"}

Acl = dict[str, set[str]]


class ShareFailed(Exception):
    """doveadm could not open a unit mailbox or set its ACL."""


def doveadm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DOVEADM, *args], capture_output=True, text=True, check=False)


def wanted_acl(address: str, rights: str, owner_rights: str) -> Acl:
    return {"owner": set(owner_rights), f"group={address}": set(rights)}


def current_acl(path: str) -> Acl:
    """The dovecot-acl file as {identifier: set of letters} ({} when missing)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.split() for line in handle if line.strip()]
    except FileNotFoundError:
        return {}
    return {parts[0]: set(parts[1]) for parts in lines if len(parts) == 2}


def _acl_text(acl: Acl) -> str:
    return "".join(f"  {identifier} {''.join(sorted(letters))}\n" for identifier, letters in sorted(acl.items()))


def _write_acl(address: str, current: Acl, wanted: Acl) -> None:
    # Opening INBOX creates the Maildir of a unit that never had mail.
    status = doveadm("mailbox", "status", "-u", address, "messages", "INBOX")
    if status.returncode != 0:
        raise ShareFailed(f"cannot open the mailbox of {address}: {status.stderr.strip()}")
    # doveadm writes the ACL file, the dovecot-acl-list and the shared dictionary that
    # lets delegates LIST the unit. Rights given by hand to anyone else are taken back.
    for identifier in sorted(set(current) - set(wanted)):
        doveadm("acl", "delete", "-u", address, "INBOX", identifier)
    for identifier, letters in sorted(wanted.items()):
        names = [RIGHT_NAMES[letter] for letter in sorted(letters)]
        done = doveadm("acl", "set", "-u", address, "INBOX", identifier, *names)
        if done.returncode != 0:
            raise ShareFailed(f"doveadm acl set -u {address} INBOX {identifier}: {done.stderr.strip()}")


def share(units: Sequence[Mapping[str, Any]], mail_root: str, rights: str = DEFAULT_RIGHTS,
          owner_rights: str = DEFAULT_RIGHTS, state: str = DEFAULT_STATE,
          check_mode: bool = False) -> dict[str, Any]:
    """Bring every unit INBOX's ACL and the delegate record to ``units``; kick removed delegates.

    Returns {"changed", "acl_written", "kicked", "diff": {"before", "after"}}; in check mode
    the same plan, nothing written and nobody kicked.
    """
    result: dict[str, Any] = {"changed": False, "acl_written": [], "kicked": []}
    before_text, after_text = [], []
    for unit in units:
        address = unit["address"]
        localpart, domain = address.split("@", 1)
        maildir = os.path.join(mail_root, domain, localpart, "Maildir")
        wanted = wanted_acl(address, rights, owner_rights)
        current = current_acl(os.path.join(maildir, "dovecot-acl"))
        if current == wanted:
            continue
        before_text.append(f"{address} INBOX ACL:\n{_acl_text(current)}")
        after_text.append(f"{address} INBOX ACL:\n{_acl_text(wanted)}")
        if not check_mode:
            _write_acl(address, current, wanted)
        result["acl_written"].append(address)

    try:
        with open(state, encoding="utf-8") as handle:
            before: dict[str, list[str]] = json.load(handle)
    except FileNotFoundError:
        before = {}
    now = {u["address"]: sorted(set(u["delegates"])) for u in units}
    removed = sorted({d for unit, old in before.items() for d in old if d not in now.get(unit, [])})
    for person in removed:
        if not check_mode:
            sessions.end_sessions(person)
        result["kicked"].append(person)
    if now != before:
        before_text.append(f"delegates: {json.dumps(before, sort_keys=True)}\n")
        after_text.append(f"delegates: {json.dumps(now, sort_keys=True)}\n")
        if not check_mode:
            tmp = state + ".tmp"
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(now, handle, indent=1, sort_keys=True)
            os.replace(tmp, state)
        result["changed"] = True
    result["changed"] = result["changed"] or bool(result["acl_written"])
    result["diff"] = {"before": "".join(before_text), "after": "".join(after_text)}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mail-root", required=True)
    parser.add_argument("--rights", default=DEFAULT_RIGHTS)
    parser.add_argument("--owner-rights", default=DEFAULT_RIGHTS)
    parser.add_argument("--state", default=DEFAULT_STATE)
    parser.add_argument("--check", action="store_true", help="say what would change, change nothing")
    args = parser.parse_args()
    try:
        result = share(json.load(sys.stdin), args.mail_root, args.rights, args.owner_rights, args.state, args.check)
    except ShareFailed as exc:
        print(json.dumps({"failed": True, "msg": str(exc)}))
        return 1
    result.pop("diff")
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

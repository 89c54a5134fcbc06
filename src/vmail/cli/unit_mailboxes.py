"""Share each unit mailbox with its delegates (Art. 9, 16); managed by Ansible.

stdin: JSON [{"address": unit address, "delegates": [person addresses]}, ...]
stdout: JSON {"changed": bool, "acl_written": [...], "kicked": [...]}

Each unit INBOX gets an ACL granting the owner everything and
group=<unit address> the delegate rights; Dovecot's userdb puts a person in
that group while the accounts database lists them as a delegate, so a
handover needs no ACL change. A person removed as delegate since the last run
is kicked: open IMAP sessions keep the groups of their login, and must not
keep the unit's mail (Art. 9.2).
"""
import argparse
import json
import os
import subprocess
import sys

DOVEADM = "/usr/bin/doveadm"


def doveadm(*args):
    return subprocess.run([DOVEADM, *args], capture_output=True, text=True, check=False)


# RFC 4314 letters -> doveadm's right names.
RIGHT_NAMES = {"l": "lookup", "r": "read", "w": "write", "s": "write-seen", "t": "write-deleted",
               "i": "insert", "p": "post", "e": "expunge", "k": "create", "x": "delete",
               "a": "admin"}


def wanted_acl(address, rights, owner_rights):
    return {"owner": set(owner_rights), f"group={address}": set(rights)}


def current_acl(path):
    """The dovecot-acl file as {identifier: set of letters} ({} when missing)."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.split() for line in handle if line.strip()]
    except FileNotFoundError:
        return {}
    return {parts[0]: set(parts[1]) for parts in lines if len(parts) == 2}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mail-root", required=True)
    parser.add_argument("--rights", default="lrwstipekx")
    parser.add_argument("--owner-rights", default="lrwstipekx")
    parser.add_argument("--state", default="/var/lib/vmail/unit-delegates.json")
    args = parser.parse_args()

    units = json.load(sys.stdin)
    result = {"changed": False, "acl_written": [], "kicked": []}
    for unit in units:
        address = unit["address"]
        localpart, domain = address.split("@", 1)
        maildir = os.path.join(args.mail_root, domain, localpart, "Maildir")
        wanted = wanted_acl(address, args.rights, args.owner_rights)
        current = current_acl(os.path.join(maildir, "dovecot-acl"))
        if current == wanted:
            continue
        # Opening INBOX creates the Maildir of a unit that never had mail.
        status = doveadm("mailbox", "status", "-u", address, "messages", "INBOX")
        if status.returncode != 0:
            sys.exit(f"cannot open the mailbox of {address}: {status.stderr.strip()}")
        # doveadm writes the ACL file, the dovecot-acl-list and the shared
        # dictionary that lets delegates LIST the unit. Rights given by hand
        # to anyone else are taken back.
        for identifier in sorted(set(current) - set(wanted)):
            doveadm("acl", "delete", "-u", address, "INBOX", identifier)
        for identifier, letters in sorted(wanted.items()):
            names = [RIGHT_NAMES[letter] for letter in sorted(letters)]
            done = doveadm("acl", "set", "-u", address, "INBOX", identifier, *names)
            if done.returncode != 0:
                sys.exit(f"doveadm acl set -u {address} INBOX {identifier}: {done.stderr.strip()}")
        result["acl_written"].append(address)

    try:
        with open(args.state, encoding="utf-8") as handle:
            before = json.load(handle)
    except FileNotFoundError:
        before = {}
    now = {u["address"]: sorted(set(u["delegates"])) for u in units}
    removed = sorted({d for unit, old in before.items() for d in old
                      if d not in now.get(unit, [])})
    for person in removed:
        # doveadm kick exits non-zero when the person had no session: fine.
        doveadm("kick", person)
        result["kicked"].append(person)
    if now != before:
        tmp = args.state + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(now, handle, indent=1, sort_keys=True)
        os.replace(tmp, args.state)
        result["changed"] = True
    result["changed"] = result["changed"] or bool(result["acl_written"])
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()

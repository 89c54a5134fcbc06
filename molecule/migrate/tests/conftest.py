"""Helpers of the migration scenario: both servers over IMAP, the playbook run as operators run it.

IMAP exchanges run inside the old server's container (podman exec), over the scenario network:
the new platform is reached at its address with its name and the lab CA, as a user's client would.
"""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml

MAIL = "vmail-migrate-mail"
OLD = "vmail-migrate-old"
MAILHOST = "mail.tiengiang.gov.vn"
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
OLD_USERS = yaml.safe_load((Path(__file__).parents[1] / "files" / "old-users.yml").read_text(encoding="utf-8"))
# Passwords the tests give the new accounts (policy of Art. 8.1), as users who changed theirs.
NEW_PASSWORD = "Moi#MayChu2026a"
UNIT = "stttt-ttcntttt"
UNIT_DELEGATE = "0034"

# Runs in the old server's container: every message of a mailbox over IMAP, per folder
# (names decoded from modified UTF-7 with the stdlib's UTF-7 codec, independently of the role).
DUMP = r'''
import datetime, imaplib, json, re, ssl, sys
host, port, user, password, cadata, prefix = json.loads(sys.argv[1])
ctx = ssl.create_default_context(cadata=cadata) if cadata else ssl._create_unverified_context()
imap = imaplib.IMAP4_SSL(host, port, ssl_context=ctx)
imap.login(user, password)
def decode(name):
    return re.sub(r"&([^-]*)-", lambda m: "&" if not m.group(1) else
                  ("+" + m.group(1).replace(",", "/") + "-").encode().decode("utf-7"), name)
boxes = []
for line in imap.list('""', '"*"')[1]:
    m = re.match(rb'\((.*?)\) "(.*?)" "?(.*?)"?$', line)
    flags, sep, name = m.group(1).decode(), m.group(2).decode(), m.group(3).decode()
    if "Noselect" not in flags and name.startswith(prefix):
        boxes.append((name, sep))
# A shared namespace does not list the other user's INBOX itself; a client opens it by name.
if prefix and prefix + "INBOX" not in [b[0] for b in boxes]:
    boxes.append((prefix + "INBOX", "/"))
out = {}
for name, sep in boxes:
    typ, data = imap.select('"%s"' % name, readonly=True)
    if typ != "OK":
        continue
    local = decode(name[len(prefix):]).replace(sep, "/")
    msgs = {}
    if int(data[0]):
        _, rows = imap.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
        for row in rows:
            if not isinstance(row, tuple):
                continue
            meta = row[0].decode()
            mid = row[1].decode().split(":", 1)[1].strip()
            fl = sorted(f for f in re.search(r"FLAGS \((.*?)\)", meta).group(1).split() if f != "\\Recent")
            date = re.search(r'INTERNALDATE "(.*?)"', meta).group(1)
            # The same instant may be written in another zone by each server.
            msgs[mid] = [fl, datetime.datetime.strptime(date.strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()]
    out[local] = msgs
imap.logout()
print(json.dumps(out, ensure_ascii=False))
'''

APPEND = r'''
import imaplib, json, ssl, sys, time, email.utils
user, password, folder, count, tag = json.loads(sys.argv[1])
imap = imaplib.IMAP4_SSL("127.0.0.1", 993, ssl_context=ssl._create_unverified_context())
imap.login(user, password)
for n in range(count):
    raw = ("Date: %s\r\nFrom: a@example.net\r\nTo: %s@oldmail.tiengiang.gov.vn\r\n"
           "Subject: new %d\r\nMessage-ID: <new-%s-%d@oldmail.tiengiang.gov.vn>\r\n\r\nThư mới.\r\n"
           % (email.utils.formatdate(), user, n, tag, n)).encode()
    typ, data = imap.append('"%s"' % folder, "(\\Flagged)", time.time() - 3600, raw)
    assert typ == "OK", data
imap.logout()
'''


def sh(container, command, stdin=None, check=True):
    proc = subprocess.run(["podman", "exec", "-i", container, "sh", "-c", command], input=stdin,
                          capture_output=True, text=True, check=False, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{container}: {command!r} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def old_py(script, args):
    """A Python script run in the old server's container with one JSON argument; its stdout."""
    proc = subprocess.run(["podman", "exec", "-i", OLD, "python3", "-", json.dumps(args)], input=script,
                          capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def container_ip(name):
    out = subprocess.run(["podman", "inspect", name, "--format",
                          "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out, f"no address for container {name}"
    return out[0]


@pytest.fixture(scope="session")
def addresses():
    """id -> address, as the accounts database holds them."""
    return json.loads(sh(MAIL, "/usr/local/sbin/vmail-accounts list-addresses").stdout)


@pytest.fixture(scope="session")
def new_login(addresses):
    """Known passwords on the new platform for the migrated people and the unit's delegate;
    the old container resolves the platform's name (as public DNS would)."""
    for account in ("9001", "9002", UNIT_DELEGATE):
        sh(MAIL, f"/usr/local/sbin/vmail-accounts set-password --changed-by-user {addresses[account]}",
           stdin=NEW_PASSWORD)
    if sh(OLD, f"getent hosts {MAILHOST}", check=False).returncode != 0:
        sh(OLD, f"echo '{container_ip(MAIL)} {MAILHOST}' >> /etc/hosts")
    return sh(MAIL, "cat /usr/local/share/ca-certificates/vmail-lab-ca.crt").stdout


def old_user(account):
    return next(user for user, entry in OLD_USERS.items() if entry["account"] == account)


def dump_old(account):
    user = old_user(account)
    return json.loads(old_py(DUMP, ["127.0.0.1", 993, user, OLD_USERS[user]["password"], "", ""]))


def dump_new(account, addresses, lab_ca):
    """What the user (or, for the unit, its delegate under Shared/<unit address>/) sees over IMAP.

    A delegate's \\Seen is their own (INDEXPVT, docs/unit-mailboxes.md), not the unit's: for the
    unit the \\Seen flags are those of the unit's own index (doveadm), the rest as the delegate sees it."""
    if account.startswith("unit:"):
        login, prefix = addresses[UNIT_DELEGATE], f"Shared/{addresses[account]}/"
    else:
        login, prefix = addresses[account], ""
    found = json.loads(old_py(DUMP, [MAILHOST, 993, login, NEW_PASSWORD, lab_ca, prefix]))
    found = {k: v for k, v in found.items() if not k.startswith("Shared/")}
    if account.startswith("unit:"):
        seen = unit_seen(addresses[account])
        for folder, messages in found.items():
            for mid, (flags, _) in messages.items():
                flags[:] = sorted([f for f in flags if f != "\\Seen"] + (["\\Seen"] if mid in seen[folder] else []))
    return found


def unit_seen(address):
    """folder -> Message-IDs marked read in the unit's own index."""
    rows = json.loads(sh(MAIL, f"doveadm -f json fetch -u {address} 'mailbox flags hdr.message-id' all").stdout)
    seen = {}
    for row in rows:
        seen.setdefault(row["mailbox"], set())
        if "\\Seen" in row["flags"].split():
            seen[row["mailbox"]].add(row["hdr.message-id"].strip())
    return seen


def append_old(account, folder, count, tag):
    user = old_user(account)
    old_py(APPEND, [user, OLD_USERS[user]["password"], folder, count, tag])


def run_migrate(*extra, credentials=None, expect_failure=False, options=()):
    """playbooks/migrate.yml with Molecule's inventory and the scenario's extra vars, as an
    operator runs it; returns its output (ansible-core 2.19 writes failures to stderr) with white
    space collapsed (the YAML callback folds long messages)."""
    args = ["ansible-playbook", "-i", str(EPHEMERAL / "inventory"), str(PROJECT / "playbooks/migrate.yml"),
            "-e", f"vmail_personnel_file={PROJECT}/inventories/lab/personnel.yml",
            "-e", f"vmail_registry_file={EPHEMERAL}/registry.yml",
            "-e", f"vmail_credentials_dir={EPHEMERAL}/credentials",
            "-e", f"vmail_secrets_dir={EPHEMERAL}/secrets"]
    if credentials:
        args += ["-e", f"migration_credentials_file={credentials}"]
    for item in extra:
        args += ["-e", item]
    args += list(options)
    proc = subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, check=False, timeout=1800)
    if expect_failure:
        assert proc.returncode != 0, proc.stdout[-4000:]
    else:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return " ".join((proc.stdout + proc.stderr).split())


def reports():
    return sorted((EPHEMERAL / "reports").glob("migration-*.json"))


def newest_report(after):
    """The report written after the list `after` of earlier ones, by address."""
    new = [p for p in reports() if p not in after]
    assert len(new) == 1, new
    data = json.loads(new[0].read_text(encoding="utf-8"))
    return {row["address"]: row for row in data["mailboxes"]}, data["skipped"]


def wait_a_second():
    """Report names are whole seconds: two runs in one second would share one."""
    time.sleep(1.1)

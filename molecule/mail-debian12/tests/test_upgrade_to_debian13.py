"""The upgrade drill (issue 19, docs/upgrade-debian13.md): the Debian 12 host this scenario
converged (and Molecule's idempotence run found complete) is used as people use it, then
upgraded in place to Debian 13 by playbooks/upgrade-debian13.yml (apt full-upgrade, then
site.yml, then the cleanup), and everything it held is compared with what it held before: every
message with its UID and flags, the accounts database, the passwords (IMAP logins), Sieve
scripts, DKIM keys, the platform's programs, backup archives and quotas. Then it must take mail
again, back up to the same repository and converge with nothing left to change.

The helpers (IMAP snapshot, SMTP sending, the playbook runner) are the backup scenario's, the
same the restore drills compare with."""
import importlib.util
import json
import os
import pathlib
import re

_spec = importlib.util.spec_from_file_location(
    "vmail_backup_helpers", pathlib.Path(__file__).resolve().parents[2] / "backup" / "tests" / "conftest.py")
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

# The drill's people with a password they chose (set here, as users who changed theirs).
PASSWORDS = {"9001": "Thu#NangCap2026", "9002": "Kiem#NangCap2026"}
N = 5
ACCOUNTS_DUMP = "sqlite3 /var/lib/vmail/accounts.sqlite .dump | sha256sum"
# Key material and the users' own Sieve scripts, byte for byte (compiled .svbin files are
# Pigeonhole's cache: 2.4 compiles them again).
FILES = ("find /var/lib/rspamd/dkim /etc/ssl/vmail /var/vmail -type f "
         r"\( -path '/var/lib/rspamd/dkim/*' -o -path '/etc/ssl/vmail/*' -o -name '*.sieve' \) "
         "-exec sha256sum {} + | sort")
ACTIVE_SIEVE = r"find /var/vmail -name .dovecot.sieve -printf '%p -> %l\n' | sort"
# The platform's own programs (the upgrade's cleanup once removed them with the old Python's copy
# of the vmail package).
PROGRAMS = "find /usr/local/lib/vmail /usr/local/sbin -type f | sort"
ARCHIVES = "set -a; . /etc/vmail/backup.env; set +a; borg list --short"
# A filter each drill person uploads over ManageSieve (RFC 5804) and makes active.
SIEVE_UPLOAD = r'''
import base64, socket
SCRIPT = 'require "fileinto";\r\nif header :contains "subject" "Công văn" { fileinto "INBOX"; }\r\n'
done = []
for user, password in ACCOUNTS:
    sock = socket.create_connection((HOST, 4190), timeout=60)
    def talk(line=None):
        if line is not None:
            sock.sendall(line.encode() + b"\r\n")
        reply = b""
        while not (reply.endswith(b"\r\n")
                   and any(reply.startswith(w) or (b"\r\n" + w) in reply for w in (b"OK", b"NO", b"BYE"))):
            reply += sock.recv(65536)
        assert b"\r\nNO" not in reply and not reply.startswith(b"NO"), (line, reply)
        return reply
    talk()
    talk("STARTTLS")
    sock = tls_context().wrap_socket(sock, server_hostname=HOST)
    talk()
    talk('AUTHENTICATE "PLAIN" "%s"' % base64.b64encode(("\0%s\0%s" % (user, password)).encode()).decode())
    body = SCRIPT.encode()
    talk('PUTSCRIPT "loc-cong-van" {%d+}\r\n' % len(body) + SCRIPT)
    talk('SETACTIVE "loc-cong-van"')
    talk("LOGOUT")
    done.append(user)
print(json.dumps(done))
'''


def addresses_of(users):
    return [address for address, _ in users]


def release():
    return helpers.on_server(". /etc/os-release && echo $VERSION_ID").stdout.strip()


def quotas(addresses):
    """address -> (storage used in KiB, limit in KiB), as doveadm reports them."""
    found = {}
    for address in addresses:
        lines = helpers.on_server(f"doveadm -f tab quota get -u {address}").stdout.splitlines()
        header = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t")))
            if row.get("Type") == "STORAGE":
                found[address] = (row["Value"], row["Limit"])
    return found


def state(users):
    """What must survive the upgrade. The accounts database and the files are read before any
    login (a login records its time); the IMAP snapshot logs in with each password."""
    addresses = [user for user, _ in users]
    helpers.on_server("doveadm quota recalc -A")
    return {
        "accounts": helpers.on_server(ACCOUNTS_DUMP).stdout,
        "files": helpers.on_server(FILES).stdout,
        "programs": helpers.on_server(PROGRAMS).stdout,
        "active_sieve": helpers.on_server(ACTIVE_SIEVE).stdout,
        "quotas": quotas(addresses),
        "mail": helpers.snapshot(users),
    }


def test_upgrade_from_debian_12_to_13_keeps_everything():
    assert release() == "12", "the drill starts from a Debian 12 host"
    ids = json.loads(helpers.on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout)
    users = [(ids[acc_id], password) for acc_id, password in PASSWORDS.items()]
    for address, password in users:
        helpers.on_server(f"/usr/local/sbin/vmail-accounts set-password --changed-by-user {address}", stdin=password)
    assert helpers.run_on_client(SIEVE_UPLOAD, {"ACCOUNTS": [list(pair) for pair in users]}) == addresses_of(users)
    helpers.send([address for address, _ in users], N, "before-upgrade")
    proc, _ = helpers.backup_now()
    assert proc.returncode == 0, proc.stderr
    archives = helpers.on_server(ARCHIVES).stdout.split()
    assert archives, "no backup archive before the upgrade"
    before = state(users)
    assert ".sieve" in before["files"] and "/var/lib/rspamd/dkim/" in before["files"], before["files"]
    assert all(limit not in ("", "-") for _, limit in before["quotas"].values()), before["quotas"]

    took, proc = helpers.run_playbook("playbooks/upgrade-debian13.yml", "debian_upgrade_reboot=false",
                                      "debian_upgrade_cleanup=true")
    helpers.record_time("upgrade-debian13.yml (upgrade, converge, cleanup)", took)
    assert release() == "13"
    assert helpers.on_server("dovecot --version").stdout.startswith("2.4"), "Dovecot is not 2.4"
    # The cleanup left no package Debian 13 does not ship, Lucene's indexes went.
    assert helpers.on_server("apt list '?obsolete' 2>/dev/null | tail -n +2").stdout.strip() == ""
    assert helpers.on_server("find /var/vmail -name lucene-indexes").stdout.strip() == ""
    # The packages' scripts may start services again (the upgrade's policy-rc.d is gone).
    assert helpers.on_server("test -e /usr/sbin/policy-rc.d", check=False).returncode != 0
    assert helpers.on_server("ls -d /usr/local/lib/python3*/dist-packages/vmail").stdout.split() == [
        "/usr/local/lib/python3.13/dist-packages/vmail"]

    after = state(users)
    for key in ("accounts", "files", "programs", "active_sieve", "quotas"):
        assert after[key] == before[key], key
    assert after["mail"] == before["mail"]
    assert set(archives) <= set(helpers.on_server(ARCHIVES).stdout.split())

    # It works as before: mail is delivered, a backup goes to the same repository.
    counts = {address: helpers.message_count(address) for address, _ in users}
    helpers.send([users[0][0]], 1, "after-upgrade")
    assert helpers.message_count(users[0][0]) == counts[users[0][0]] + 1
    proc, _ = helpers.backup_now()
    assert proc.returncode == 0, proc.stderr
    # And the platform on Debian 13 is what site.yml writes: a second converge changes nothing.
    os.environ["ANSIBLE_DIFF_ALWAYS"] = "1"   # a changed task shows what it changed
    _, proc = helpers.run_playbook("site.yml")
    recap = re.findall(r"changed=(\d+)", proc.stdout.split("PLAY RECAP")[-1])
    assert recap and all(count == "0" for count in recap), "\n".join(changed_tasks(proc.stdout))[-12000:]


def changed_tasks(output):
    """Each task section of an ansible-playbook output that reports a change, diff included."""
    sections = re.split(r"\n(?=TASK \[|RUNNING HANDLER \[)", output)
    return [section for section in sections if re.search(r"^changed: ", section, re.M)]

"""Helpers for the backup scenario.

Mail is sent and read over the scenario network from the client container
(SMTP port 25 with STARTTLS, IMAPS checked against the lab CA), as a real
sender and a real mail client would; commands that only an operator runs
(systemctl, the restore playbooks) run on the server or on the control node.
Restore times are collected and printed at the end of the run, never asserted.
"""
import importlib.util
import json
import os
import pathlib
import subprocess
import textwrap
import time

import pytest

# The address of a container, as podman gave it: the mail scenario's helper
# (molecule/mail/tests/conftest.py), loaded as the multi scenario loads it.
_mail_spec = importlib.util.spec_from_file_location(
    "vmail_mail_helpers", pathlib.Path(__file__).resolve().parents[2] / "mail" / "tests" / "conftest.py")
_mail = importlib.util.module_from_spec(_mail_spec)
_mail_spec.loader.exec_module(_mail)
container_address = _mail.container_address

SERVER = os.environ.get("VMAIL_TEST_SERVER", "vmail-backup-mail")
CLIENT = os.environ.get("VMAIL_TEST_CLIENT", "vmail-backup-client")
NETWORK = os.environ.get("VMAIL_TEST_NETWORK", "vmail-molecule-backup")
VOLUME = os.environ.get("VMAIL_TEST_BACKUP_VOLUME", "vmail-molecule-backup-repo")
IMAGE = f"localhost/vmail-debian{os.environ.get('VMAIL_DEBIAN_RELEASE', '13')}:latest"
MAILHOST = "mail.tiengiang.gov.vn"
PROJECT = pathlib.Path(__file__).resolve().parents[3]
# Fixed test people of the lab personnel file (9001, 9002: unit
# stttt-ttcntttt, both active). Passwords obey Art. 8.1.
PASSWORDS = {"9001": "Thu#Sao2026lu", "9002": "Kiem#Sao2026lu"}
TIMINGS = []

CLIENT_PRELUDE = '''
import hashlib, imaplib, json, re, smtplib, ssl, sys
HOST = %(host)r
CA = %(ca)r
def tls_context():
    return ssl.create_default_context(cadata=CA)
'''

# Every message of every folder: UIDVALIDITY, then per UID the sha256 of the
# full message and its flags (\\Recent is per session, left out).
SNAPSHOT = r'''
LIST_RE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<sep>"[^"]*"|NIL) (?P<name>.+)$')
out = {}
for user, password in ACCOUNTS:
    imap = imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context())
    imap.login(user, password)
    folders = {}
    for line in imap.list()[1]:
        match = LIST_RE.match(line)
        if not match or b"\\Noselect" in match.group("flags"):
            continue
        name = match.group("name").decode()
        quoted = name if name.startswith('"') else '"%s"' % name
        typ, _ = imap.select(quoted, readonly=True)
        assert typ == "OK", (user, name)
        uidvalidity = imap.response("UIDVALIDITY")[1][0].decode()
        messages = {}
        typ, data = imap.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple):
                head = item[0].decode()
                uid = re.search(r"UID (\d+)", head).group(1)
                flags = sorted(f for f in re.search(r"FLAGS \(([^)]*)\)", head).group(1).split() if f != "\\Recent")
                messages[uid] = {"sha256": hashlib.sha256(item[1]).hexdigest(), "flags": flags}
        # FETCH of an empty folder answers with no message items.
        folders[name.strip('"')] = {"uidvalidity": uidvalidity, "messages": messages}
    imap.logout()
    out[user] = folders
print(json.dumps(out, ensure_ascii=False))
'''

SEND = r'''
from email.message import EmailMessage
sent = []
with smtplib.SMTP(HOST, 25, timeout=60) as smtp:
    smtp.starttls(context=tls_context())
    for address in RECIPIENTS:
        for i in range(COUNT):
            msg = EmailMessage()
            msg["From"] = "Văn thư Sở Nội vụ <vanthu@example.net>"
            msg["To"] = address
            msg["Subject"] = f"Công văn số {i + 1}/{TAG}: Báo cáo tình hình sao lưu dữ liệu tháng Mười Một"
            msg["Message-ID"] = f"<{TAG}-{i + 1}-{address}>"
            msg.set_content(f"Kính gửi đồng chí,\nĐây là thư thử nghiệm số {i + 1} ({TAG}): khôi phục hộp thư.\n")
            payload = ("Tệp đính kèm: Ủy ban nhân dân tỉnh Tiền Giang. " * 400 + str(i)).encode()
            msg.add_attachment(payload, maintype="application", subtype="pdf",
                               filename=f"Báo cáo số {i + 1}.pdf")
            smtp.send_message(msg)
            sent.append(msg["Message-ID"])
print(json.dumps(sent))
'''


def on_server(command, stdin=None, check=True, timeout=900):
    proc = subprocess.run(["podman", "exec", "-i", SERVER, "bash", "-c", command],
                          input=stdin, capture_output=True, text=True, check=False, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command!r} on {SERVER} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def on_client(command, check=True):
    proc = subprocess.run(["podman", "exec", "-i", CLIENT, "bash", "-c", command],
                          capture_output=True, text=True, check=False, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command!r} on {CLIENT} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def client_resolves_mailhost():
    """Map the mail host's FQDN to the server container's current address in
    the client's /etc/hosts (as public DNS would); the whole-host drill
    replaces the server. /etc/hosts is a bind mount: rewrite it in place."""
    address = container_address(SERVER)
    on_client(f"python3 -c \"import sys; p='/etc/hosts'; lines=[l for l in open(p) if not l.rstrip().endswith(' {MAILHOST}')]; "
              f"lines.append('{address} {MAILHOST}\\n'); open(p, 'w').writelines(lines)\"")


def run_on_client(body, variables, timeout=900):
    ca = on_server("cat /usr/local/share/ca-certificates/vmail-lab-ca.crt").stdout
    client_resolves_mailhost()
    code = CLIENT_PRELUDE % {"host": MAILHOST, "ca": ca}
    code += "".join(f"{name} = {value!r}\n" for name, value in variables.items())
    code += textwrap.dedent(body)
    proc = subprocess.run(["podman", "exec", "-i", CLIENT, "python3", "-"], input=code,
                          capture_output=True, text=True, check=False, timeout=timeout)
    assert proc.returncode == 0, f"client script failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def snapshot(accounts):
    """{address: {folder: {uidvalidity, messages: {uid: {sha256, flags}}}}} over IMAPS."""
    return run_on_client(SNAPSHOT, {"ACCOUNTS": [list(pair) for pair in accounts]})


def message_count(address):
    """Messages in every folder of a mailbox, as Dovecot counts them."""
    out = on_server(f"doveadm -f tab mailbox status -u {address} messages '*'", check=False)
    if out.returncode != 0:
        return 0
    return sum(int(line) for line in out.stdout.split()[1:] if line.isdigit())


def wait_for(predicate, limit, step=5):
    """Poll until predicate() is truthy or limit seconds pass: (result, seconds)."""
    start = time.monotonic()
    while True:
        result = predicate()
        if result or time.monotonic() - start > limit:
            return result, time.monotonic() - start
        time.sleep(step)


def send(recipients, count, tag):
    """Send count messages to each recipient over SMTP (port 25, STARTTLS) from
    the client, then wait until Postfix has delivered them all (LMTP)."""
    before = {address: message_count(address) for address in recipients}
    sent = run_on_client(SEND, {"RECIPIENTS": list(recipients), "COUNT": count, "TAG": tag})
    assert len(sent) == count * len(recipients)
    delivered, _ = wait_for(lambda: all(message_count(a) >= before[a] + count for a in recipients), limit=300)
    assert delivered, (before, {a: message_count(a) for a in recipients},
                       on_server("postqueue -p", check=False).stdout)


def run_playbook(playbook, *extra, expect_failure=False):
    """ansible-playbook with Molecule's inventory and the scenario's extra vars,
    as an operator runs it; returns (seconds, process)."""
    eph = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    inventory = f"{eph}/inventory"
    args = ["ansible-playbook", "-i", inventory, str(PROJECT / playbook),
            "-e", f"vmail_personnel_file={PROJECT}/inventories/lab/personnel.yml",
            "-e", f"vmail_registry_file={eph}/registry.yml",
            "-e", f"vmail_credentials_dir={eph}/credentials",
            "-e", f"vmail_dns_records_file={eph}/dns-records.txt",
            "-e", f"vmail_secrets_dir={eph}/secrets"]
    for item in extra:
        args += ["-e", item]
    start = time.monotonic()
    proc = subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, check=False, timeout=3600)
    elapsed = time.monotonic() - start
    if expect_failure:
        assert proc.returncode != 0, proc.stdout[-4000:]
    else:
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return elapsed, proc


def record_time(what, seconds):
    TIMINGS.append((what, seconds))


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("backup and restore times (information, not asserted)")
        for what, seconds in TIMINGS:
            terminalreporter.write_line(f"{what}: {seconds:.1f} s")


@pytest.fixture(scope="session")
def addresses():
    """id -> address, as the accounts database holds them."""
    return json.loads(on_server("/usr/local/sbin/vmail-accounts list-addresses").stdout)


@pytest.fixture(scope="session")
def drill_users(addresses):
    """The drill's two people with a known password (as users who changed theirs)."""
    for acc_id, password in PASSWORDS.items():
        on_server(f"/usr/local/sbin/vmail-accounts set-password --changed-by-user {addresses[acc_id]}", stdin=password)
    return [(addresses[acc_id], password) for acc_id, password in PASSWORDS.items()]


def backup_now():
    """Run the daily backup unit now, as the timer would; (process, seconds)."""
    start = time.monotonic()
    proc = on_server("systemctl start vmail-backup.service", check=False)
    return proc, time.monotonic() - start


def backup_metrics():
    text = on_server("cat /var/lib/prometheus/node-exporter/vmail_backup.prom").stdout
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line and not line.startswith("#")}

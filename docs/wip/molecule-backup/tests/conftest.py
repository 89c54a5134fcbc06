"""Helpers for the backup scenario: commands in the server container, IMAP
snapshots of a mailbox taken inside it, and ansible-playbook runs against
Molecule's own inventory."""
import json
import os
import pathlib
import subprocess
import time

import pytest

SERVER = os.environ.get("VMAIL_TEST_SERVER", "vmail-backup-mail")
NETWORK = "vmail-molecule-backup"
VOLUME = "vmail-molecule-backup-repo"
IMAGE = "localhost/vmail-debian12:latest"
PROJECT = pathlib.Path(__file__).resolve().parents[3]
# Passwords set for the drill; they obey Art. 8.1.
PASSWORDS = {
    "nguyenvanthu@tiengiang.gov.vn": "Thu#Sao2026lu",
    "tranthikiem@tiengiang.gov.vn": "Kiem#Sao2026lu",
}

# Runs inside the server: every message of every folder, with UIDVALIDITY,
# UID and the sha256 of the full message fetched over IMAPS.
SNAPSHOT = r'''
import hashlib, imaplib, json, ssl, sys
user, password = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
imap = imaplib.IMAP4_SSL("127.0.0.1", 993, ssl_context=ctx)
imap.login(user, password)
out = {}
for line in imap.list()[1]:
    name = line.decode().rsplit(' "', 1)[-1].rstrip('"') if line.decode().endswith('"') else line.decode().split()[-1]
    typ, _ = imap.select('"%s"' % name, readonly=True)
    if typ != "OK":
        continue
    uidvalidity = imap.response("UIDVALIDITY")[1][0].decode()
    typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
    messages = {}
    for item in data:
        if isinstance(item, tuple):
            uid = item[0].decode().split("UID ")[1].split()[0]
            messages[uid] = hashlib.sha256(item[1]).hexdigest()
    out[name] = {"uidvalidity": uidvalidity, "messages": messages}
imap.logout()
print(json.dumps(out))
'''


def on_server(command, stdin=None, check=True, timeout=900):
    proc = subprocess.run(["podman", "exec", "-i", SERVER, "bash", "-c", command],
                          input=stdin, capture_output=True, text=True, check=False, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{command!r} failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    return proc


def snapshot(address):
    proc = on_server(f"python3 - {address} '{PASSWORDS[address]}'", stdin=SNAPSHOT)
    return json.loads(proc.stdout)


def set_password(address):
    on_server(f"/usr/local/sbin/vmail-accounts set-password {address}", stdin=PASSWORDS[address])


def run_playbook(playbook, *extra):
    """ansible-playbook with Molecule's inventory and the scenario's extra vars."""
    eph = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or f"{eph}/inventory"
    if os.path.isfile(inventory):
        inventory = os.path.dirname(inventory)
    args = ["ansible-playbook", "-i", inventory, str(PROJECT / playbook),
            "-e", f"vmail_personnel_file={PROJECT}/inventories/lab/personnel.yml",
            "-e", f"vmail_registry_file={eph}/registry.yml",
            "-e", f"vmail_credentials_dir={eph}/credentials",
            "-e", f"vmail_dns_records_file={eph}/dns-records.txt",
            # As molecule.yml: filtering is not converged in this scenario yet.
            "--skip-tags", "filtering"]
    for item in extra:
        args += ["-e", item]
    start = time.monotonic()
    proc = subprocess.run(args, cwd=PROJECT, capture_output=True, text=True, check=False, timeout=3600)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return elapsed


def deliver(address, count, tag):
    """Deliver messages through dovecot-lda (the same storage path as LMTP):
    Vietnamese subjects and an attachment each."""
    script = r'''
import subprocess, sys
from email.message import EmailMessage
address, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(count):
    msg = EmailMessage()
    msg["From"] = "Văn thư <vanthu@tiengiang.gov.vn>"
    msg["To"] = address
    msg["Subject"] = f"Công văn số {i + 1}/{tag}: Báo cáo tình hình sao lưu dữ liệu"
    msg.set_content(f"Kính gửi đồng chí,\nĐây là thư thử nghiệm số {i + 1} ({tag}).\n")
    msg.add_attachment(("Tệp đính kèm " * 200 + str(i)).encode(), maintype="application",
                       subtype="octet-stream", filename=f"bao-cao-{i + 1}.pdf")
    subprocess.run(["/usr/lib/dovecot/dovecot-lda", "-d", address], input=msg.as_bytes(), check=True)
'''
    on_server(f"python3 - {address} {count} {tag}", stdin=script)


@pytest.fixture(scope="session")
def drill_users():
    for address in PASSWORDS:
        set_password(address)
    return list(PASSWORDS)


def backup_now():
    start = time.monotonic()
    proc = on_server("systemctl start vmail-backup.service", check=False)
    return proc, time.monotonic() - start


def metrics():
    text = on_server("cat /var/lib/prometheus/node-exporter/vmail_backup.prom").stdout
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line and not line.startswith("#")}

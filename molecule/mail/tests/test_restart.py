"""Art. 14.1 (24/7): a crashed service comes back by itself (systemd Restart=always,
common role), nothing the server accepted is lost, and the crash is alerted
(VmailServiceRestarted, from node_exporter's restart counts)."""
import json
import re
import time
import uuid
from pathlib import Path

import yaml

from conftest import on_server, server_release

COMMON_DEFAULTS = Path(__file__).resolve().parents[3] / "roles" / "common" / "defaults" / "main.yml"
PROMETHEUS_ALERTS = ("python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
                     "\"http://127.0.0.1:9090/api/v1/alerts\", timeout=10).read().decode())'")


def _crashed():
    """The units the crash test kills: Postfix's master (in the unit the server's Debian
    release names) and Dovecot."""
    return (server_release()["postfix_unit"], "dovecot.service")


def _main_pid(unit):
    return int(on_server(f"systemctl show -p MainPID --value {unit}").stdout.strip())


def test_every_platform_service_restarts_on_failure():
    """Each long-running unit the common role lists, where installed here, has Restart=always."""
    listed = [re.sub(r"\{\{ __common_release\.(\w+) \}\}", lambda field: server_release()[field.group(1)], unit)
              for unit in yaml.safe_load(COMMON_DEFAULTS.read_text())["common_restart_units"]]
    # Loaded units only: Debian 13's systemd lists masked ones (freshclam in the lab) too.
    installed = set(on_server("systemctl list-units --type=service --all --no-legend --plain"
                              " | awk '$2 == \"loaded\" {print $1}'").stdout.split())
    here = [unit for unit in listed if unit in installed]
    assert len(here) >= 12, here  # the single-host lab runs all but PostgreSQL and freshclam
    settings = {unit: on_server(f"systemctl show -p Restart --value {unit}").stdout.strip() for unit in here}
    assert settings == {unit: "always" for unit in here}


def test_killed_postfix_and_dovecot_come_back_and_lose_nothing(client, users):
    """kill -9 of the Postfix master and the Dovecot master while mail arrives on 25: both answer
    again within 30 s, every message that got 250 is delivered, and the crash is alerted."""
    to, password = users["thu"]
    token = uuid.uuid4().hex
    crashed = _crashed()
    restarts_before = {u: int(on_server(f"systemctl show -p NRestarts --value {u}").stdout) for u in crashed}
    # A sending server: one session per message, retried (as an MTA would) until it gets 250.
    sender = client.background(f'''
    import smtplib, time
    accepted, failures = [], 0
    for i in range(40):
        msg = new_message()
        msg["From"] = "Văn thư <vanthu@example.net>"
        msg["To"] = "{to}"
        msg["Subject"] = f"Công văn {token} số {{i}}"
        msg.set_content("Thư đến trong khi dịch vụ khởi động lại.")
        for attempt in range(60):
            try:
                result = send(msg, 25, sender="vanthu@example.net", recipients=["{to}"], timeout=20)
            except (OSError, smtplib.SMTPException):
                result = {{"code": 0}}
            if result["code"] == 250:
                accepted.append(i)
                break
            failures += 1
            time.sleep(1)
        if i == 2:
            print("started", flush=True)
        time.sleep(0.25)
    out({{"accepted": accepted, "failures": failures}})
    ''')
    sender.wait_for("started")
    killed = {unit: _main_pid(unit) for unit in crashed}
    assert all(killed.values()), killed  # systemd knows both masters (postfix: PIDFile drop-in)
    on_server("kill -9 " + " ".join(str(pid) for pid in killed.values()))

    back = client(f'''
    import imaplib, smtplib, time
    start, answered = time.monotonic(), {{}}
    while time.monotonic() - start < 30 and len(answered) < 2:
        if "smtp" not in answered:
            try:
                with smtplib.SMTP(HOST, 25, timeout=5) as s:
                    if s.ehlo()[0] == 250:
                        answered["smtp"] = round(time.monotonic() - start, 1)
            except (OSError, smtplib.SMTPException):
                pass
        if "imap" not in answered:
            try:
                with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context(), timeout=5) as m:
                    if m.login("{to}", "{password}")[0] == "OK":
                        answered["imap"] = round(time.monotonic() - start, 1)
            except (OSError, imaplib.IMAP4.error):
                pass
        time.sleep(0.5)
    out(answered)
    ''')
    assert set(back) == {"smtp", "imap"}, f"not answering 30 s after kill -9: {back}"
    for unit, pid in killed.items():
        assert _main_pid(unit) not in (0, pid), unit

    sent = sender.result(timeout=600)
    assert len(sent["accepted"]) == 40, sent
    # Mail that met a stopped Dovecot waits in Postfix's deferred queue and would be retried
    # after minimal_backoff_time (5 min) by itself; the flush only saves the test that wait.
    on_server("postqueue -f")
    found = client(f'''
    import time
    found = []
    for _ in range(60):
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{to}", "{password}")
            m.select("INBOX", readonly=True)
            found = m.search(None, "SUBJECT", "{token}")[1][0].split()
        if len(found) >= 40:
            break
        time.sleep(1)
    out(len(found))
    ''')
    assert found == len(sent["accepted"]), (found, sent)

    restarts = {u: int(on_server(f"systemctl show -p NRestarts --value {u}").stdout) for u in crashed}
    assert all(restarts[u] > restarts_before[u] for u in crashed), (restarts_before, restarts)
    alerted = set()
    for _ in range(60):
        alerts = json.loads(on_server(PROMETHEUS_ALERTS).stdout)["data"]["alerts"]
        alerted = {a["labels"].get("name") for a in alerts
                   if a["labels"]["alertname"] == "VmailServiceRestarted" and a["state"] == "firing"}
        if alerted >= set(crashed):
            break
        time.sleep(2)
    assert alerted >= set(crashed), alerted

"""Monitoring (Art. 14.1): every target is up (Prometheus HTTP API), stopping
Postfix raises VmailServiceDown in Alertmanager AND reaches the operators'
webhook while the platform's own mail path is down, and a backup with a wrong
passphrase fails loudly (Ansible run, systemd unit, metric) and raises
VmailBackupFailed. Prometheus and Alertmanager listen on loopback only, so
their APIs are queried from inside the server (as an operator's SSH tunnel
would). Waits are bounded polls; how long an alert took is printed, never
asserted."""
import json
import time
import urllib.parse

import pytest

from conftest import (CLIENT, MAILHOST, SERVER, backup_metrics, backup_now, container_address, on_client, on_server,
                      record_time, run_playbook, wait_for)

GET = "python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "
ALERT_LIMIT = 600   # seconds: generous bound on "the alert shows up"
WEBHOOK_PORT = 9099  # molecule/backup/host_vars/vmail-backup-mail.yml points Alertmanager here
WEBHOOK_LOG = "/root/alertmanager-webhook.jsonl"

# A stand-in for the operators' chat/SMS gateway, in the client container:
# every POST body Alertmanager sends is appended to a file.
WEBHOOK = r'''
import http.server
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open("%s", "ab") as log:
            log.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer(("0.0.0.0", %d), Hook).serve_forever()
''' % (WEBHOOK_LOG, WEBHOOK_PORT)


def get(url):
    return json.loads(on_server(GET + "'" + url + "'").stdout)


def query(expr):
    return get("http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(expr))["data"]["result"]


def alerts():
    return get("http://127.0.0.1:9093/api/v2/alerts?active=true&silenced=false&inhibited=false")


def firing(alertname, **labels):
    def check():
        for alert in alerts():
            if alert["labels"].get("alertname") == alertname and all(
                    alert["labels"].get(k) == v for k, v in labels.items()):
                return alert
        return None
    return check


@pytest.fixture(scope="module")
def webhook():
    on_client(f"rm -f {WEBHOOK_LOG}; cat > /root/webhook.py <<'EOF'\n{WEBHOOK}\nEOF\n"
              "systemctl stop vmail-test-webhook.service 2>/dev/null || true; "
              "systemd-run --unit=vmail-test-webhook.service python3 /root/webhook.py")
    yield
    on_client("systemctl stop vmail-test-webhook.service", check=False)


def webhook_alerts():
    text = on_client(f"cat {WEBHOOK_LOG} 2>/dev/null || true").stdout
    return [alert for line in text.splitlines() if line.strip() for alert in json.loads(line)["alerts"]]


def test_every_target_up():
    def all_up():
        targets = get("http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]
        down = [(t["labels"]["job"], t["lastError"]) for t in targets if t["health"] != "up"]
        return targets if targets and not down else None
    targets, _ = wait_for(all_up, limit=300)
    assert targets, [(t["labels"]["job"], t["health"], t["lastError"])
                     for t in get("http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]]
    jobs = {t["labels"]["job"] for t in targets}
    assert {"node", "postfix", "dovecot", "prometheus", "alertmanager", "blackbox"} <= jobs, jobs
    for module in ("probe_smtp_starttls_25", "probe_smtps_465", "probe_smtp_starttls_587",
                   "probe_imaps_993", "probe_pop3s_995"):
        assert any(job.startswith(module) for job in jobs), (module, jobs)


def test_probes_and_metrics_answer():
    """Each probe succeeds (TLS verified against the lab CA), the certificate
    expiry is read, and the Postfix, Dovecot and backup metrics exist."""
    def probes_ok():
        result = query("probe_success")
        return result if len(result) >= 5 and all(r["value"][1] == "1" for r in result) else None
    result, _ = wait_for(probes_ok, limit=300)
    assert result, query("probe_success")
    days = [float(r["value"][1]) for r in query("(probe_ssl_earliest_cert_expiry - time()) / 86400")]
    assert days and min(days) > 14, days
    assert query("postfix_up") or query("postfix_showq_message_age_seconds_count"), "no Postfix metrics"
    assert query('{__name__=~"dovecot_.*"}'), "no Dovecot metrics"
    assert query('node_systemd_unit_state{name="postfix.service", state="active"} == 1')


def test_exporters_and_uis_not_on_public_address():
    """Prometheus, Alertmanager and the exporters listen on loopback (the
    monitoring network in production), never on the server's own address."""
    listening = on_server("ss -ltnH").stdout
    for port in ("9090", "9093", "9100", "9115", "9154", "9900"):
        lines = [line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")]
        assert lines and all(addr.startswith("127.0.0.1:") for addr in lines), (port, lines)
    reach = on_client("python3 -c \"import socket, sys; s = socket.socket(); s.settimeout(5); "
                      "print(s.connect_ex((sys.argv[1], 9090)))\" " + container_address(SERVER), check=False)
    assert reach.stdout.strip() not in ("", "0"), reach.stdout + reach.stderr


def test_alert_path_does_not_use_the_platform_queue():
    """Alertmanager's mail goes to an outside smarthost, never to this
    platform's Postfix; the webhook receiver is the second, mail-free path."""
    config = on_server("cat /etc/prometheus/alertmanager.yml").stdout
    smarthost = [line.split(":", 1)[1].strip().strip('"') for line in config.splitlines()
                 if line.strip().startswith("smtp_smarthost:")]
    assert smarthost, config
    host = smarthost[0].rsplit(":", 1)[0]
    assert host not in ("localhost", "127.0.0.1", "::1", MAILHOST, SERVER), host
    assert f"{container_address(CLIENT)}:{WEBHOOK_PORT}" in config


def test_stopping_postfix_fires_service_down(webhook):
    on_server("systemctl stop postfix")
    try:
        alert, took = wait_for(firing("VmailServiceDown", name="postfix.service"), limit=ALERT_LIMIT)
        record_time("stop postfix -> VmailServiceDown active in Alertmanager", took)
        assert alert, alerts()

        def hooked():
            return [a for a in webhook_alerts() if a["labels"].get("alertname") == "VmailServiceDown"
                    and a["labels"].get("name") == "postfix.service" and a["status"] == "firing"]
        received, took = wait_for(hooked, limit=ALERT_LIMIT)
        record_time("VmailServiceDown -> operators' webhook (Postfix still down)", took)
        assert received, webhook_alerts()
        # Postfix is still down: the alert did not travel through it.
        assert on_server("systemctl is-active postfix", check=False).stdout.strip() != "active"
    finally:
        on_server("systemctl start postfix")


def test_wrong_vault_passphrase_stops_the_backup_play():
    """An operator's run with a wrong vault passphrase fails with a clear
    message and leaves the working passphrase on the host."""
    keep = on_server("sha256sum /etc/vmail/borg-passphrase").stdout
    _, proc = run_playbook("playbooks/backup.yml", "backup_borg_passphrase=wrong-passphrase-for-the-drill-0123",
                           expect_failure=True)
    # Failures go to stderr under Molecule's settings, to stdout otherwise;
    # the YAML callback folds long messages.
    output = " ".join((proc.stdout + proc.stderr).split())
    assert "borg cannot open" in output and "A wrong passphrase or a foreign repository" in output, output[-3000:]
    assert on_server("sha256sum /etc/vmail/borg-passphrase").stdout == keep


def test_wrong_passphrase_fails_loudly_and_alerts():
    proc, _ = backup_now()
    assert proc.returncode == 0, proc.stderr
    good = backup_metrics()
    on_server("cp -p /etc/vmail/borg-passphrase /root/borg-passphrase.keep && "
              "echo 'wrong passphrase for the drill 0123456789' > /etc/vmail/borg-passphrase")
    # The metrics carry whole seconds: let the clock pass the good run's second,
    # so the failed run's timestamp can be told from it (both runs take ~1 s).
    while time.time() <= good["vmail_backup_last_run_timestamp_seconds"] + 1:
        time.sleep(0.2)
    try:
        proc, _ = backup_now()
        assert proc.returncode != 0
        assert on_server("systemctl is-failed vmail-backup.service", check=False).stdout.strip() == "failed"
        journal = on_server("journalctl -u vmail-backup.service -n 30 --no-pager").stdout
        assert "passphrase" in journal.lower(), journal
        failed = backup_metrics()
        assert failed["vmail_backup_last_exit_code"] >= 2
        assert failed["vmail_backup_last_success_timestamp_seconds"] == good["vmail_backup_last_success_timestamp_seconds"]
        assert failed["vmail_backup_last_run_timestamp_seconds"] > failed["vmail_backup_last_success_timestamp_seconds"]
        alert, took = wait_for(firing("VmailBackupFailed"), limit=ALERT_LIMIT)
        record_time("failed backup -> VmailBackupFailed active in Alertmanager", took)
        assert alert, alerts()
    finally:
        on_server("mv /root/borg-passphrase.keep /etc/vmail/borg-passphrase")
    proc, _ = backup_now()
    assert proc.returncode == 0, proc.stderr
    assert backup_metrics()["vmail_backup_last_exit_code"] == 0

"""Monitoring (Art. 14.1), checked from inside the server container: every
target is up, stopping Postfix raises VmailServiceDown in Alertmanager, and
a backup with a wrong passphrase raises VmailBackupFailed. Times to alert
are printed, never asserted (the poll is bounded at ~3 minutes)."""
import json
import time

from conftest import backup_now, on_server

GET = "python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "


def get(url):
    return json.loads(on_server(GET + url).stdout)


def wait_for(predicate, limit=180, step=5):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        result = predicate()
        if result:
            return result, time.monotonic() - start
        time.sleep(step)
    return None, time.monotonic() - start


def firing(alertname, **labels):
    def check():
        for alert in get("http://127.0.0.1:9093/api/v2/alerts"):
            if alert["labels"].get("alertname") == alertname and all(
                    alert["labels"].get(k) == v for k, v in labels.items()):
                return alert
        return None
    return check


def test_every_target_up():
    def all_up():
        targets = get("http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]
        down = [(t["labels"]["job"], t["lastError"]) for t in targets if t["health"] != "up"]
        return targets if targets and not down else None
    targets, took = wait_for(all_up, limit=120)
    assert targets, get("http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]
    jobs = {t["labels"]["job"] for t in targets}
    assert {"node", "postfix", "dovecot", "prometheus", "alertmanager", "blackbox"} <= jobs
    assert any(job.startswith("probe_imaps") for job in jobs)
    print(f"all {len(targets)} targets up after {took:.0f}s")


def test_probes_succeed():
    def probes_ok():
        result = get("http://127.0.0.1:9090/api/v1/query?query=probe_success")["data"]["result"]
        return result if result and all(r["value"][1] == "1" for r in result) else None
    result, _ = wait_for(probes_ok, limit=60)
    assert result, get("http://127.0.0.1:9090/api/v1/query?query=probe_success")


def test_prometheus_not_on_public_address():
    listening = on_server("ss -ltnH").stdout
    for port in ("9090", "9093", "9100", "9115", "9154", "9900"):
        lines = [line for line in listening.splitlines() if f":{port} " in line]
        assert lines and all("127.0.0.1:" in line for line in lines), (port, lines)


def test_stopping_postfix_fires_service_down():
    on_server("systemctl stop postfix")
    try:
        alert, took = wait_for(firing("VmailServiceDown", name="postfix.service"))
        print(f"VmailServiceDown for postfix in Alertmanager after {took:.0f}s")
        assert alert, get("http://127.0.0.1:9093/api/v2/alerts")
    finally:
        on_server("systemctl start postfix")


def test_wrong_passphrase_fires_backup_failed():
    on_server("cp -p /etc/vmail/borg-passphrase /root/borg-passphrase.keep && "
              "echo 'wrong passphrase for the alert test 0123' > /etc/vmail/borg-passphrase")
    try:
        proc, _ = backup_now()
        assert proc.returncode != 0
        alert, took = wait_for(firing("VmailBackupFailed"))
        print(f"VmailBackupFailed in Alertmanager after {took:.0f}s")
        assert alert, get("http://127.0.0.1:9093/api/v2/alerts")
    finally:
        on_server("mv /root/borg-passphrase.keep /etc/vmail/borg-passphrase")
    proc, _ = backup_now()
    assert proc.returncode == 0, proc.stderr

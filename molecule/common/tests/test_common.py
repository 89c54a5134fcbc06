"""The common role, checked inside its container through testinfra's podman backend."""
import pytest
import testinfra

HOST = testinfra.get_host("podman://vmail-common")


def test_hostname_is_fqdn_and_resolves():
    assert HOST.check_output("hostname -f") == "common.tiengiang.gov.vn"
    hosts = HOST.file("/etc/hosts").content_string
    assert "common.tiengiang.gov.vn common" in hosts
    assert HOST.run("getent hosts common.tiengiang.gov.vn").rc == 0


def test_timezone_is_ho_chi_minh():
    assert HOST.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Asia/Ho_Chi_Minh"
    assert HOST.check_output("date +%z") == "+0700"


@pytest.mark.parametrize("locale", ["vi_VN.utf8", "en_US.utf8"])
def test_locales_generated(locale):
    assert locale in HOST.check_output("locale -a").split()


def test_default_locale_is_vietnamese():
    assert "LANG=vi_VN.UTF-8" in HOST.file("/etc/default/locale").content_string
    out = HOST.check_output("LANG=vi_VN.UTF-8 date -d 2026-11-28 +%A")
    assert out == "Thứ bảy"


def test_unattended_security_upgrades():
    assert 'Unattended-Upgrade "1"' in HOST.file("/etc/apt/apt.conf.d/20auto-upgrades").content_string
    config = HOST.file("/etc/apt/apt.conf.d/50unattended-upgrades").content_string
    assert "Debian-Security" in config
    # The configuration parses: a dry run exits cleanly.
    assert HOST.run("unattended-upgrade --dry-run").rc == 0


def test_journal_is_persistent():
    assert HOST.file("/var/log/journal").is_directory
    HOST.run("systemd-cat -t vmail-test echo persistent-check")
    assert HOST.run("journalctl --flush").rc == 0
    files = HOST.check_output("find /var/log/journal -name '*.journal' | wc -l")
    assert int(files) > 0


def test_timesyncd_configured():
    assert "NTP=" in HOST.file("/etc/systemd/timesyncd.conf.d/vmail.conf").content_string
    assert HOST.service("systemd-timesyncd").is_enabled


def test_journal_survives_a_container_restart():
    """Podman's systemd mode would put a tmpfs on /var/log/journal; the scenario (as the lab)
    mounts a volume there, so lines not yet read by the daily counters survive a restart."""
    import subprocess
    import time
    import uuid
    marker = f"vmail-journal-marker-{uuid.uuid4()}"
    HOST.run(f"logger -t vmail-test {marker} && journalctl --sync")
    assert HOST.run("findmnt -n -o FSTYPE /var/log/journal").stdout.strip() != "tmpfs"
    def started_at():
        return subprocess.run(["podman", "inspect", "-f", "{{.State.StartedAt}}", "vmail-common"],
                              check=True, capture_output=True, text=True).stdout.strip()
    before = started_at()
    subprocess.run(["podman", "restart", "-t", "10", "vmail-common"], check=True, capture_output=True, timeout=120)
    assert started_at() != before, "the container did not restart"
    for _ in range(60):
        if HOST.run("systemctl is-system-running").stdout.strip() in ("running", "degraded"):
            break
        time.sleep(1)
    assert marker in HOST.run(f"journalctl -t vmail-test --no-pager --grep {marker}").stdout

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

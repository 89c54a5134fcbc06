"""site.yml refuses bad input with a message a person can act on, before any host changes.

These run the real site.yml from the repository root against a copy of the
lab inventory whose host does not exist: a validation failure must stop the
run before the connectivity check is even reached. The release check needs a
host that answers: a container of the lab image that says it is Ubuntu.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ansible_env, run_playbook


def site(inventory: Path, **env: str):
    return run_playbook("-i", str(inventory / "hosts.yml"), "site.yml", env=ansible_env(**env))


def replace_in(path: Path, old: str, new: str) -> None:
    """Break one setting of the inventory copy; the edit must really apply."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path}: the test would not break anything"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_stopped_before_hosts(result) -> None:
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "Reach the host" not in out, "validation must stop the run before any host is contacted"
    assert "changed=0" in out or "PLAY RECAP" not in out


def test_negative_quota_is_refused(lab_copy: Path):
    replace_in(lab_copy / "group_vars" / "all" / "sizes.yml", "vmail_mailbox_quota: 500MB", "vmail_mailbox_quota: -5MB")
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    out = result.stdout
    assert "vmail_mailbox_quota (-5MB)" in out
    assert "group_vars/all/sizes.yml" in out


def test_quota_above_the_ceiling_is_refused(lab_copy: Path):
    # Issue 20 item 6: person 0001 (Giám đốc, quota 1GB) loses the reason that lets them exceed 500MB.
    replace_in(lab_copy / "personnel.yml", '    quota_exception: "Lãnh đạo sở (Giám đốc)"\n', "")
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    # The YAML callback wraps long messages and doubles single quotes in them.
    out = " ".join(result.stdout.split()).replace("''", "'")
    assert "The personnel file is not valid; nothing was changed" in out
    assert "people[0] (id 0001, Lê Minh Hiếu): field 'quota': 1GB is above the quota ceiling of 500MB" in out
    assert "vmail_quota_max" in out and "quota_exception" in out
    # Only that entry: the other heads of department keep their exception.
    assert set(re.findall(r"\(id (\w+), [^)]*\): field 'quota': \S+ is above the quota ceiling", out)) == {"0001"}


def test_default_quota_above_the_ceiling_is_refused(lab_copy: Path):
    replace_in(lab_copy / "group_vars" / "all" / "sizes.yml", "vmail_quota_max: 500MB", "vmail_quota_max: 400MB")
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    out = result.stdout
    assert "vmail_mailbox_quota (500MB)" in out and "vmail_quota_max (400MB" in out
    assert "group_vars/all/sizes.yml" in out and "Nothing was changed" in out


def test_missing_domain_is_named(lab_copy: Path):
    replace_in(lab_copy / "group_vars" / "all" / "vmail.yml", "vmail_domain: tiengiang.gov.vn\n", "")
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    assert "vmail_domain" in result.stdout
    assert str(lab_copy) in result.stdout
    assert "Nothing was changed" in result.stdout


def test_mistyped_variable_is_named(lab_copy: Path):
    replace_in(lab_copy / "group_vars" / "all" / "vmail.yml",
               "vmail_naming_extension: false", "vmail_naming_extension: maybe")
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    assert "vmail_naming_extension" in result.stdout


def test_bad_personnel_file_names_file_entry_and_field(lab_copy: Path):
    # A status that does not exist, on the first person.
    replace_in(lab_copy / "personnel.yml", 'status: "active"', 'status: "retired"')
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    out = result.stdout
    assert "personnel.yml" in out
    assert "status" in out and "retired" in out


def test_unreachable_host_is_named(lab_copy: Path):
    result = site(lab_copy)
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "vmail-test-no-such-container" in out
    assert "is unreachable" in out
    assert "Nothing was changed" in out
    # The first play that changes anything never ran.
    assert "Apply the base settings" not in out


def test_missing_vault_password_is_explained(lab_copy: Path, tmp_path: Path):
    result = site(lab_copy, VMAIL_VAULT_PASSWORD_FILE=str(tmp_path / "absent"))
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no vault password" in out
    assert "VMAIL_VAULT_PASSWORD_FILE" in out


def test_trusted_relay_that_is_not_a_network_is_named(lab_copy: Path):
    replace_in(lab_copy / "group_vars" / "all" / "trusted_relays.yml",
               "vmail_trusted_relays: []", "vmail_trusted_relays: [192.0.2.0/24, relay.example.net]")
    result = site(lab_copy)
    assert_stopped_before_hosts(result)
    out = result.stdout
    assert "group_vars/all/trusted_relays.yml" in out and "vmail_trusted_relays" in out
    assert "'relay.example.net'" in out and "'192.0.2.0/24'" not in out
    assert "Nothing was changed" in out


UBUNTU_OS_RELEASE = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n'


@pytest.fixture()
def ubuntu_host(lab_copy: Path):
    """A running container of the lab image whose /etc/os-release says Ubuntu 22.04 (what
    Ansible's distribution facts read too), reached through podman: the lab copy's only host."""
    name = f"vmail-test-release-{os.getpid()}"
    subprocess.run(["podman", "run", "-d", "--rm", "--name", name, "--network", "none",
                    "localhost/vmail-debian13:latest", "sleep", "600"], check=True, capture_output=True)
    try:
        subprocess.run(["podman", "exec", "-i", name, "sh", "-c", "rm -f /etc/os-release && cat > /etc/os-release"],
                       input=UBUNTU_OS_RELEASE, text=True, check=True, capture_output=True)
        replace_in(lab_copy / "hosts.yml", "ansible_host: vmail-test-no-such-container",
                   f"ansible_host: {name}\n          ansible_connection: containers.podman.podman")
        yield name
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], check=False, capture_output=True)


def in_container(name: str, command: str) -> str:
    return subprocess.run(["podman", "exec", name, "sh", "-c", command],
                          check=True, capture_output=True, text=True).stdout


# What the first roles would change on a host: its name, time zone and apt settings.
HOST_STATE = "cat /etc/hostname; readlink /etc/localtime; ls /etc/apt/apt.conf.d"


def test_host_of_another_release_is_named_and_untouched(lab_copy: Path, ubuntu_host: str):
    before = in_container(ubuntu_host, HOST_STATE)
    # Ansible's own strategy for the podman connection (the project's Mitogen strategy is
    # set up for SSH hosts; it was not tried with this connection).
    result = site(lab_copy, ANSIBLE_STRATEGY="linear")
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, out
    assert "host mail runs Ubuntu 22.04.4 LTS (ID=ubuntu, VERSION_ID=22.04)" in out, out
    assert "Debian 12" in out and "Nothing was changed" in out
    # The host answered (the check read its os-release), and no play that changes anything ran.
    assert "Unreachable: " not in out
    assert "Apply the base settings" not in out
    assert in_container(ubuntu_host, HOST_STATE) == before

"""Lab and Molecule containers are reached over SSH with checked host keys, and a container
whose sshd never answers is named, not reported later as "unreachable".

Runs the scenarios' own create and destroy playbooks (molecule/shared/) on throw-away
containers of the lab image (make test builds it first), on their own network."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, VENV_BIN, ansible_env, run_playbook

NETWORK = "vmail-test-ssh"
SUBNET = "10.89.79"
IMAGE = f"localhost/vmail-debian{os.environ.get('VMAIL_DEBIAN_RELEASE', '13')}:latest"


def platform(name: str, host: int, **extra: str) -> dict[str, str]:
    return {"name": name, "hostname": f"{name}.example.net", "image": IMAGE, "network": NETWORK,
            "ip": f"{SUBNET}.{host}", "systemd": "always", **extra}


def scenario_playbook(step: str, platforms: list[dict[str, str]], tmp_path: Path, *extra: str):
    variables = tmp_path / f"{step}.json"
    variables.write_text(json.dumps({"molecule_yml": {"platforms": platforms}, "molecule_file": "test"}))
    return run_playbook(str(REPO / "molecule" / "shared" / f"{step}.yml"), "-e", f"@{variables}", *extra,
                        env=ansible_env(MOLECULE_PROJECT_DIRECTORY=str(REPO)), timeout=600)


@pytest.fixture()
def containers(tmp_path: Path, lab_secrets):
    """Whatever the test creates is destroyed afterwards (containers, journal volumes, network)."""
    made: list[dict[str, str]] = []
    yield made
    if made:
        scenario_playbook("destroy", made, tmp_path)


def test_container_is_reached_over_ssh_with_its_host_key_checked(containers, tmp_path: Path):
    containers.append(platform("vmail-test-ssh-ok", 10))
    created = scenario_playbook("create", containers, tmp_path)
    assert created.returncode == 0, created.stdout[-3000:]
    address = f"{SUBNET}.10"
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(f"all:\n  hosts:\n    box:\n      ansible_host: {address}\n"
                         f"      vmail_lab_ssh_dir: {REPO}/.secrets/lab-ssh\n")
    (tmp_path / "group_vars").symlink_to(REPO / "inventories" / "lab" / "group_vars")
    facts = subprocess.run([str(VENV_BIN / "ansible"), "-i", str(inventory), "box", "-m", "ansible.builtin.command",
                            "-a", "cat /proc/1/comm"], cwd=REPO, env=ansible_env(), capture_output=True,
                           text=True, timeout=300, check=False)
    assert facts.returncode == 0, facts.stdout + facts.stderr
    assert "systemd" in facts.stdout
    # The same host with a known_hosts that pins another key is refused.
    other = tmp_path / "other-key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", str(other)], check=True)
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"{address} " + " ".join(other.with_suffix(".pub").read_text().split()[:2]) + "\n")
    refused = subprocess.run(["ssh", "-i", f"{REPO}/.secrets/lab-ssh/id_ed25519", "-o", f"UserKnownHostsFile={wrong}",
                              "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ControlPath=none",
                              "-o", "HostKeyAlgorithms=ecdsa-sha2-nistp256", f"root@{address}", "true"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode != 0
    assert "HOST IDENTIFICATION HAS CHANGED" in refused.stderr or "verification failed" in refused.stderr, refused.stderr


def test_container_without_ssh_is_named(containers, tmp_path: Path):
    # No systemd, so no sshd: the container runs, its SSH never comes.
    containers.append(platform("vmail-test-ssh-none", 11, command="sleep infinity", systemd="false"))
    created = scenario_playbook("create", containers, tmp_path, "-e", "create_ssh_timeout=5")
    out = created.stdout + created.stderr
    assert created.returncode != 0, out[-3000:]
    assert "No SSH within 5 s on: vmail-test-ssh-none" in out, out[-3000:]

"""Helpers to run the real playbooks on the control node against throw-away inventories."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def ansible_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
    )
    env.update(extra)
    return env


def run_playbook(*args: str, env: dict[str, str] | None = None, timeout: int = 300):
    return subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), *args],
        cwd=REPO, env=env or ansible_env(), capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="session")
def lab_secrets() -> None:
    subprocess.run([str(REPO / "scripts" / "lab-secrets.sh")], check=True, cwd=REPO,
                   env=ansible_env(), capture_output=True)


@pytest.fixture()
def lab_copy(tmp_path: Path, lab_secrets) -> Path:
    """A copy of the lab inventory whose only host does not exist."""
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "lab", inventory,
                    ignore=shutil.ignore_patterns("credentials", "registry.yml"))
    hosts = inventory / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("10.89.60.10", "vmail-test-no-such-container"))
    return inventory


def run_module(library: str, name: str, args: dict, check: bool = False) -> dict:
    """One ad-hoc run of a project module on localhost with the venv's Python (it has the vmail
    package), --diff on; the module's result."""
    command = [str(VENV_BIN / "ansible"), "localhost", "-M", str(REPO / library), "-m", name,
               "-a", json.dumps(args), "-e", f"ansible_python_interpreter={VENV_BIN / 'python'}",
               "-c", "local", "--diff", *(["--check"] if check else [])]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
                          env=ansible_env(ANSIBLE_STRATEGY="linear", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                                          ANSIBLE_STDOUT_CALLBACK="json"))
    assert proc.returncode in (0, 2), proc.stdout + proc.stderr
    return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]

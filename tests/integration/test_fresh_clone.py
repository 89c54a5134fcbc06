"""A fresh clone, before `make lab`: no .secrets/, no lab vault. Commands that open no vault
work (syntax check, ansible-doc, the filters in an ad-hoc run); one that needs the vault still
stops with the vault-pass script's clear message."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, VENV_BIN


@pytest.fixture()
def fresh_clone(tmp_path: Path) -> Path:
    """The tracked files of the repository, as `git clone` gives them."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    clone = tmp_path / "clone"
    for name in filter(None, files.decode().split("\0")):
        source = REPO / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree, not committed yet
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    assert not (clone / ".secrets").exists()
    assert not (clone / "inventories/lab/group_vars/all/vault.yml").exists()
    return clone


def run(clone: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "MOLECULE_", "VMAIL_"))}
    env.update(PATH=f"{VENV_BIN}:{env.get('PATH', '')}", NO_COLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_CONFIG=str(clone / "ansible.cfg"))
    return subprocess.run([str(VENV_BIN / argv[0]), *argv[1:]], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_commands_that_open_no_vault_work_before_make_lab(fresh_clone: Path):
    for argv in (["ansible-playbook", "site.yml", "--syntax-check"],
                 ["ansible-doc", "-t", "filter", "vn_localpart"],
                 ["ansible", "localhost", "-m", "ansible.builtin.debug",
                  "-a", "msg={{ 'Nguyễn Thị Mai' | vn_localpart }}"]):
        result = run(fresh_clone, *argv)
        out = result.stdout + result.stderr
        assert result.returncode == 0, (argv, out)
        assert "Vault password script" not in out, (argv, out)
    assert "nguyenthimai" in result.stdout


def test_a_vault_without_its_password_is_still_explained(fresh_clone: Path):
    vault = fresh_clone / "inventories/lab/group_vars/all/vault.yml"
    vault.write_text("$ANSIBLE_VAULT;1.1;AES256\n00\n")
    result = run(fresh_clone, "ansible-playbook", "site.yml", "--syntax-check")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "no vault password" in out
    assert "VMAIL_VAULT_PASSWORD_FILE" in out

"""The initial-password store: generated once, policy-compliant, encrypted, stable, resettable."""
from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from pathlib import Path

import yaml

from vmail.password import password_policy_errors

from conftest import REPO, VENV_BIN, ansible_env, run_playbook

PLAYBOOK = """---
- name: Keep initial passwords
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Keep initial passwords
      vmail_initial_passwords:
        dir: "{{ dir }}"
        accounts: "{{ accounts }}"
      register: result
      no_log: true
    - name: Show what changed (ids only)
      ansible.builtin.debug:
        msg: "RESULT {{ {'changed': result.changed, 'generated': result.generated, 'ids': result.passwords.keys() | sort} | to_json | b64encode }}"
"""


def account(aid: str, unit: str, status: str = "active", reset: str = "") -> dict:
    return {"id": aid, "kind": "person", "address": f"u{aid}@tiengiang.gov.vn", "display_name": f"Người {aid}",
            "unit": unit, "unit_name": unit.upper(), "status": status, "password_reset": reset}


def keep(tmp_path: Path, accounts: list[dict], *flags: str) -> dict:
    playbook = tmp_path / "keep.yml"
    playbook.write_text(PLAYBOOK)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"dir": str(tmp_path / "credentials"), "accounts": accounts}))
    result = run_playbook("-i", "localhost,", "-c", "local", str(playbook), "-e", f"@{extra}", *flags,
                          env=ansible_env(VMAIL_VAULT_PASSWORD_FILE=str(tmp_path / "vault-pass")))
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "RESULT " in line)
    return json.loads(base64.b64decode(line.split("RESULT ", 1)[1].strip().strip("'\"")))


def decrypt(tmp_path: Path, unit: str) -> dict:
    out = subprocess.run([str(VENV_BIN / "ansible-vault"), "decrypt", "--output", "-",
                          str(tmp_path / "credentials" / f"{unit}.vault.yml")],
                         capture_output=True, text=True, check=True, cwd=REPO,
                         env=ansible_env(VMAIL_VAULT_PASSWORD_FILE=str(tmp_path / "vault-pass")))
    return yaml.safe_load(out.stdout)


def policy_errors(password: str) -> list[str]:
    return password_policy_errors(password)


def test_generate_keep_reset_and_check_mode(tmp_path: Path):
    (tmp_path / "vault-pass").write_text("test-vault-password\n")
    accounts = [account("0001", "stttt"), account("0002", "stttt"), account("0003", "snv"),
                account("0004", "snv", status="left")]

    # check mode writes nothing
    first = keep(tmp_path, accounts, "--check")
    assert first["changed"] is True
    assert not (tmp_path / "credentials").exists()

    first = keep(tmp_path, accounts)
    assert first["changed"] is True
    assert sorted(first["generated"]) == ["0001", "0002", "0003"]  # nobody who left
    stttt_file = tmp_path / "credentials" / "stttt.vault.yml"
    assert stttt_file.read_text().startswith("$ANSIBLE_VAULT;"), "never written in clear"
    assert oct(stttt_file.stat().st_mode & 0o777) == "0o600"
    stttt = decrypt(tmp_path, "stttt")
    passwords = {aid: entry["password"] for aid, entry in stttt["accounts"].items()}
    assert set(passwords) == {"0001", "0002"}
    for password in passwords.values():
        assert policy_errors(password) == [], password
    assert len(set(passwords.values())) == 2

    # a second run keeps everything: no file is rewritten
    before = stttt_file.read_bytes()
    second = keep(tmp_path, accounts)
    assert second["changed"] is False and second["generated"] == []
    assert stttt_file.read_bytes() == before

    # a reset token asks for a new password for that account only
    accounts[0]["password_reset"] = "2026-11-28"
    third = keep(tmp_path, accounts)
    assert third["changed"] is True and third["generated"] == ["0001"]
    after = decrypt(tmp_path, "stttt")["accounts"]
    assert after["0001"]["password"] != passwords["0001"]
    assert after["0002"]["password"] == passwords["0002"]


FACT_PLAYBOOK = """---
- name: Keep initial passwords, accounts as JSON text, passwords as a fact
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Keep initial passwords
      vmail_initial_passwords:
        dir: "{{ dir }}"
        accounts: "{{ accounts | to_json }}"
        fact: initial
      register: result
      no_log: true
    - name: Show what came back (ids only)
      ansible.builtin.debug:
        msg: "RESULT {{ {'in_result': 'passwords' in result, 'ids': initial.keys() | sort,
                        'digest': initial | dictsort | map('last') | join(',') | hash('sha256')} | to_json | b64encode }}"
"""


def test_accounts_as_json_text_and_passwords_as_a_fact(tmp_path: Path):
    """What playbooks/accounts.yml does: one JSON string in, the passwords only in the fact."""
    (tmp_path / "vault-pass").write_text("test-vault-password\n")
    accounts = [account("0001", "stttt"), account("0002", "chogao"), account("0003", "chogao", status="left")]
    playbook = tmp_path / "fact.yml"
    playbook.write_text(FACT_PLAYBOOK)
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"dir": str(tmp_path / "credentials"), "accounts": accounts}))
    result = run_playbook("-i", "localhost,", "-c", "local", str(playbook), "-e", f"@{extra}",
                          env=ansible_env(VMAIL_VAULT_PASSWORD_FILE=str(tmp_path / "vault-pass")))
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(line for line in result.stdout.splitlines() if "RESULT " in line)
    shown = json.loads(base64.b64decode(line.split("RESULT ", 1)[1].strip().strip("'\"")))
    assert shown["in_result"] is False
    assert shown["ids"] == ["0001", "0002"]
    stored = {**decrypt(tmp_path, "stttt")["accounts"], **decrypt(tmp_path, "chogao")["accounts"]}
    expected = ",".join(stored[aid]["password"] for aid in sorted(stored))
    assert shown["digest"] == hashlib.sha256(expected.encode()).hexdigest()


def test_weak_password_typed_into_a_vault_file_is_refused(tmp_path: Path):
    """One policy everywhere a password is set: an initial password an operator typed into a
    unit's vault file is checked like any other; the run stops naming file and account."""
    (tmp_path / "vault-pass").write_text("test-vault-password\n")
    accounts = [account("0001", "stttt"), account("0002", "stttt")]
    keep(tmp_path, accounts)
    content = decrypt(tmp_path, "stttt")
    content["accounts"]["0002"]["password"] = "Matkhau 2026"  # a space is not the special character
    vault_file = tmp_path / "credentials" / "stttt.vault.yml"
    vault_env = ansible_env(VMAIL_VAULT_PASSWORD_FILE=str(tmp_path / "vault-pass"))
    subprocess.run([str(VENV_BIN / "ansible-vault"), "encrypt", "--output", str(vault_file), "-"],
                   input=yaml.safe_dump(content, allow_unicode=True), capture_output=True, text=True,
                   check=True, cwd=REPO, env=vault_env)
    before = vault_file.read_bytes()
    playbook = tmp_path / "keep.yml"
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({"dir": str(tmp_path / "credentials"), "accounts": accounts}))
    result = run_playbook("-i", "localhost,", "-c", "local", str(playbook), "-e", f"@{extra}", env=vault_env)
    assert result.returncode != 0
    assert "stttt.vault.yml, account 0002" in result.stdout and "Art. 8.1" in result.stdout, result.stdout
    assert "special character" in result.stdout, result.stdout
    assert vault_file.read_bytes() == before

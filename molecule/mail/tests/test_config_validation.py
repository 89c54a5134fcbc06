"""A broken configuration value never reaches the live file (validate:, issue 16).

The roles' own tasks run against the converged server with one deliberately
broken variable: the run must fail with the tool's message, the live file must
be the one before the run (so the next run shows the same change and fails
again), and the service must still run. Rspamd's check is called exactly as
the role calls it, on a broken candidate. An nginx change whose `nginx -t`
failed leaves a mark: the next run checks again and fails until it is fixed.
"""
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import on_server

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))


def run_tags(tmp_path, tags, extra):
    """site.yml with only `tags`, as operators run it, with `extra` as extra variables."""
    ephemeral = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    variables = {
        "vmail_personnel_file": str(PROJECT / "inventories/lab/personnel.yml"),
        "vmail_registry_file": str(ephemeral / "registry.yml"),
        "vmail_credentials_dir": str(ephemeral / "credentials"),
        "vmail_dns_records_file": str(tmp_path / "dns-records.txt"),
        "vmail_secrets_dir": str(ephemeral / "secrets"),
        **extra,
    }
    # JSON results: the YAML format folds a long message across lines.
    env = {**os.environ, "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    return subprocess.run(
        ["ansible-playbook", "-i", str(ephemeral / "inventory"), "site.yml", "--tags", ",".join(tags),
         "-e", json.dumps(variables)],
        cwd=PROJECT, env=env, capture_output=True, text=True, check=False, timeout=600)


def live_digest(path):
    return hashlib.sha256(on_server(f"cat {path}").stdout.encode()).hexdigest()


@pytest.mark.parametrize("tags, extra, live, service, message", [
    # postmap -c reads every global parameter as the daemons do: a bad number is fatal.
    (["postfix:config"], {"postfix_main_extra": {"default_process_limit": "many"}},
     "/etc/postfix/main.cf", "postfix", "bad numerical configuration: default_process_limit = many"),
    # doveconf reads the candidate through dovecot.conf's !include in the copy.
    (["dovecot:config"], {"dovecot_auth_failure_delay": "soon"},
     "/etc/dovecot/conf.d/10-auth.conf", "dovecot", "/etc/dovecot/conf.d/10-auth.conf line 10: Invalid time interval: soon"),
], ids=["postfix", "dovecot"])
def test_a_broken_value_fails_the_run_and_leaves_the_live_file(tmp_path, tags, extra, live, service,
                                                                message):
    before = live_digest(live)
    run = run_tags(tmp_path, tags, extra)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    assert "vmail-config-check" in output and message in output, output[-3000:]
    assert live_digest(live) == before
    assert on_server(f"systemctl is-active {service}").stdout.strip() == "active"


def test_rspamd_checks_the_candidate_in_a_copy_of_its_tree():
    # The command of roles/rspamd (vars/main.yml), on a candidate for local.d/actions.conf.
    command = yaml.safe_load((PROJECT / "roles/rspamd/vars/main.yml").read_text())["__rspamd_check"]
    command = command.replace("{path}", "local.d/actions.conf").replace("%s", "/tmp/actions.candidate")
    before = live_digest("/etc/rspamd/local.d/actions.conf")
    on_server("cp /etc/rspamd/local.d/actions.conf /tmp/actions.candidate")
    assert on_server(command, check=False).returncode == 0
    on_server("printf 'reject = ;\\n' > /tmp/actions.candidate")
    broken = on_server(command, check=False)
    on_server("rm -f /tmp/actions.candidate")
    assert broken.returncode == 1
    assert "error while parsing /etc/rspamd/local.d/actions.conf" in broken.stderr, broken.stderr
    assert live_digest("/etc/rspamd/local.d/actions.conf") == before
    assert on_server("systemctl is-active rspamd").stdout.strip() == "active"


def test_a_failed_nginx_check_is_checked_again_on_the_next_run(tmp_path):
    # As a run that wrote this and then failed its `nginx -t` would leave it.
    on_server("echo 'server { listen 8443 ssl; broken_directive on; }' > /etc/nginx/conf.d/zz-broken.conf"
              " && touch /var/lib/vmail-config-check/nginx.unchecked")
    try:
        failed = run_tags(tmp_path, ["roundcube:nginx"], {})
        assert failed.returncode != 0
        assert "unknown directive" in failed.stdout and "broken_directive" in failed.stdout, failed.stdout[-3000:]
        assert on_server("test -e /var/lib/vmail-config-check/nginx.unchecked", check=False).returncode == 0
    finally:
        on_server("rm -f /etc/nginx/conf.d/zz-broken.conf")
    fixed = run_tags(tmp_path, ["roundcube:nginx"], {})
    assert fixed.returncode == 0, (fixed.stdout + fixed.stderr)[-3000:]
    assert on_server("test -e /var/lib/vmail-config-check/nginx.unchecked", check=False).returncode == 1
    assert on_server("systemctl is-active nginx").stdout.strip() == "active"

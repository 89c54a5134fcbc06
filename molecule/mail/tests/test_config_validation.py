"""A broken configuration value never reaches the live file (validate:, issue 16).

Each role writes its files with `validate:` through vmail-config-check, which puts
the candidate into a private copy of the live tree and runs the tool there. Here
the roles' own check commands (their vars/main.yml) are run on the converged
server exactly as `validate:` runs them, first on a copy of the live file (it
passes), then on a broken candidate: the check fails with the tool's message
naming the live path, the live file is unchanged and the service still runs.
"""
import hashlib
import os
from pathlib import Path

import pytest
import yaml

from conftest import on_server

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))


def role_var(role, name):
    return yaml.safe_load((PROJECT / f"roles/{role}/vars/main.yml").read_text())[name]


def live_digest(path):
    return hashlib.sha256(on_server(f"cat {path}").stdout.encode()).hexdigest()


def postfix_command(path):
    tree = role_var("postfix", "__postfix_check_tree")
    return f"{role_var('postfix', '__postfix_check')} --tree /etc/postfix --path {path} %s -- {tree}"


def tree_command(role, var, path):
    return role_var(role, var).replace("{path}", path)


@pytest.mark.parametrize("command, live, service, broken, message", [
    # postmap -c reads every global parameter as the daemons do: a bad number is fatal.
    (postfix_command("main.cf"), "/etc/postfix/main.cf", "postfix",
     "cp /etc/postfix/main.cf {c} && echo 'default_process_limit = many' >> {c}",
     "bad numerical configuration: default_process_limit = many"),
    # doveconf reads the candidate through dovecot.conf's !include in the copy.
    (tree_command("dovecot", "__dovecot_check", "conf.d/10-auth.conf"), "/etc/dovecot/conf.d/10-auth.conf",
     "dovecot", "sed 's/^auth_failure_delay = .*/auth_failure_delay = soon/' /etc/dovecot/conf.d/10-auth.conf > {c}",
     "Invalid time interval: soon"),
    (tree_command("rspamd", "__rspamd_check", "local.d/actions.conf"), "/etc/rspamd/local.d/actions.conf",
     "rspamd", "printf 'reject = ;\\n' > {c}", "error while parsing /etc/rspamd/local.d/actions.conf"),
], ids=["postfix", "dovecot", "rspamd"])
def test_a_broken_candidate_is_refused_and_the_live_file_stays(command, live, service, broken, message):
    candidate = "/tmp/vmail-candidate"
    command = command.replace("%s", candidate)
    before = live_digest(live)
    try:
        on_server(f"cp {live} {candidate}")
        good = on_server(command, check=False)
        assert good.returncode == 0, good.stdout + good.stderr
        on_server(broken.format(c=candidate))
        refused = on_server(command, check=False)
    finally:
        on_server(f"rm -f {candidate}")
    assert refused.returncode != 0
    assert message in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert live in refused.stdout + refused.stderr, "the message names the live file"
    assert live_digest(live) == before
    assert on_server(f"systemctl is-active {service}").stdout.strip() == "active"

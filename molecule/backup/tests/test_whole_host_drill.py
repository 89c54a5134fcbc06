"""Whole-host drill (Art. 14.5): the mail server is lost; a new, empty host
with the same name gets the platform back from the borg repository alone
(plus this repository and the vault), with playbooks/restore-platform.yml.

The repository is a podman volume that outlives the server container: it
stands in for the backup host's disk. This file runs last in the scenario
(file order): it replaces the server container."""
import subprocess
import time

from conftest import (IMAGE, MAILHOST, NETWORK, PROJECT, SERVER, VOLUME, backup_now, container_address,
                      message_count, on_server, record_time, run_playbook, send, snapshot)

N = 12
# Files restore-platform brings back besides mail, compared byte for byte.
# (The accounts database is compared by its SQL dump: sqlite3 .backup makes
# a page-for-page copy, not necessarily the same bytes as the live file.)
FILES = "find /etc/ssl/vmail /var/lib/rspamd/dkim -type f -exec sha256sum {} + 2>/dev/null | sort"
ACCOUNTS_DUMP = "sqlite3 /var/lib/vmail/accounts.sqlite .dump | sha256sum"


def test_whole_host_drill(drill_users):
    send([user for user, _ in drill_users], N, "drill-host")
    before = snapshot(drill_users)
    accounts = on_server(ACCOUNTS_DUMP).stdout
    files = on_server(FILES, check=False).stdout
    assert "/etc/ssl/vmail/" in files
    proc, took = backup_now()
    record_time("vmail-backup (daily unit) before the host is lost", took)
    assert proc.returncode == 0, proc.stderr

    # The host is gone. A new one with the same name, network and image:
    # empty, only the repository disk (the volume) survives.
    # It keeps its address, and Ansible reaches it over SSH as before (the
    # lab's host key and Ansible's key, as molecule.yml mounts them).
    address = container_address(SERVER)
    start = time.monotonic()
    subprocess.run(["podman", "rm", "-f", SERVER], check=True, capture_output=True, timeout=300)
    subprocess.run(["podman", "run", "-d", "--name", SERVER, "--hostname", MAILHOST,
                    "--network", NETWORK, "--ip", address, "--systemd", "always", "--label", "owner=molecule",
                    "-v", f"{VOLUME}:/var/backups/vmail",
                    "-v", f"{PROJECT}/.secrets/lab-ssh/container:/etc/ssh/vmail-lab:ro",
                    "-v", f"{PROJECT}/images/debian/lab-ssh/vmail-lab.conf:/etc/ssh/sshd_config.d/vmail-lab.conf:ro",
                    IMAGE, "/sbin/init"],
                   check=True, capture_output=True, timeout=300)
    # Ansible's SSH master to the old container would hang: close it (ansible.cfg's control_path).
    subprocess.run(["ssh", "-o", "ControlPath=~/.ansible/cp/%C", "-O", "exit", f"root@{address}"],
                   capture_output=True, check=False, timeout=30)
    # Then wait until the new host's sshd answers the control node, as an operator
    # would before running the playbook (the host's ARP entry may still name the old one).
    ssh_dir = PROJECT / ".secrets" / "lab-ssh"
    for _ in range(60):
        reached = subprocess.run(["ssh", "-i", str(ssh_dir / "id_ed25519"), "-o", f"UserKnownHostsFile={ssh_dir}/known_hosts",
                                  "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=2",
                                  "-o", "ControlPath=none", f"root@{address}", "true"],
                                 capture_output=True, check=False, timeout=30)
        if reached.returncode == 0:
            break
        time.sleep(1)
    assert reached.returncode == 0, f"no SSH to the new host at {address}: {reached.stderr}"
    booted = subprocess.run(["podman", "exec", SERVER, "bash", "-c",
                             "for i in $(seq 120); do systemctl is-system-running 2>/dev/null | grep -qE 'running|degraded' && exit 0; sleep 1; done; exit 1"],
                            capture_output=True, text=True, timeout=300)
    assert booted.returncode == 0, booted.stdout + booted.stderr
    assert on_server("test -e /var/vmail/tiengiang.gov.vn", check=False).returncode != 0, "the new host is not empty"

    took, _ = run_playbook("playbooks/restore-platform.yml")
    record_time("restore-platform.yml (converge + restore on the new host)", took)
    record_time("whole host: new container to restored platform", time.monotonic() - start)

    # Before any login: compare the accounts database as restored.
    assert on_server(ACCOUNTS_DUMP).stdout == accounts
    assert on_server(FILES, check=False).stdout == files
    assert snapshot(drill_users) == before
    # The restored platform takes mail again, and backs up to the same repository.
    counts = {user: message_count(user) for user, _ in drill_users}
    send([drill_users[0][0]], 1, "after-restore")
    assert message_count(drill_users[0][0]) == counts[drill_users[0][0]] + 1
    proc, _ = backup_now()
    assert proc.returncode == 0, proc.stderr
    archives = on_server("set -a; . /etc/vmail/backup.env; set +a; borg list --short").stdout.split()
    assert len(archives) >= 2, archives

"""Restore drills (Art. 14.5): a backup is only as good as its restore.

1. One mailbox: deliver messages, back up, destroy the mailbox, restore it
   in place and beside; compare counts, UIDVALIDITY, UIDs and sha256 of every
   message fetched over IMAP.
2. A wrong passphrase fails loudly (unit failed, metric exit code 2).
The whole-host drill (destroy the server, rebuild it, restore-platform.yml)
is NOT run yet: it lives in ../whole_host_drill.py until it passes.
Restore times are printed, never asserted."""
from conftest import backup_now, deliver, metrics, on_server, run_playbook, snapshot

N = 12


def test_single_mailbox_inplace(drill_users):
    address = drill_users[0]
    deliver(address, N, "drill1")
    before = snapshot(address)
    assert len(before["INBOX"]["messages"]) >= N
    proc, took = backup_now()
    print(f"backup took {took:.1f}s")
    assert proc.returncode == 0, proc.stderr
    assert metrics()["vmail_backup_last_exit_code"] == 0
    home = on_server(f"doveadm user -f home {address}").stdout.strip()
    on_server(f"doveadm kick {address} || true; rm -rf {home}")
    assert snapshot(address).get("INBOX", {}).get("messages", {}) == {}
    took = run_playbook("playbooks/restore-mailbox.yml", f"address={address}")
    print(f"restore-mailbox (inplace) took {took:.1f}s")
    after = snapshot(address)
    assert after == before


def test_single_mailbox_beside(drill_users):
    address = drill_users[0]
    before = snapshot(address)["INBOX"]
    took = run_playbook("playbooks/restore-mailbox.yml", f"address={address}", "restore_mode=beside")
    print(f"restore-mailbox (beside) took {took:.1f}s")
    after = snapshot(address)
    restored = [name for name in after if name.startswith("Restored-")]
    assert restored, sorted(after)
    folder = after[restored[0]]
    # Same messages, same UIDs (the folder has its own UIDVALIDITY from the archive).
    assert folder["messages"] == before["messages"]
    assert after["INBOX"] == before


def test_wrong_passphrase_fails_loudly():
    on_server("cp -p /etc/vmail/borg-passphrase /root/borg-passphrase.keep && "
              "echo 'wrong passphrase for the drill 0123456789' > /etc/vmail/borg-passphrase")
    try:
        proc, _ = backup_now()
        assert proc.returncode != 0
        assert on_server("systemctl is-failed vmail-backup.service", check=False).stdout.strip() == "failed"
        values = metrics()
        assert values["vmail_backup_last_exit_code"] >= 2
        assert values["vmail_backup_last_run_timestamp_seconds"] > values["vmail_backup_last_success_timestamp_seconds"]
    finally:
        on_server("mv /root/borg-passphrase.keep /etc/vmail/borg-passphrase")
    proc, _ = backup_now()
    assert proc.returncode == 0, proc.stderr
    assert metrics()["vmail_backup_last_exit_code"] == 0

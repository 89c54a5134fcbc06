"""Restore drills (Art. 14.5): a backup is only as good as its restore.

Mail arrives the real way (SMTP from the client, Vietnamese subjects, a PDF
attachment each), the daily backup unit runs, the mailbox is destroyed, and
the restore playbooks an operator would run put it back. The mailbox is then
read over IMAPS and compared message by message: UIDVALIDITY, UIDs, flags and
the sha256 of every full message. The whole-host drill is in
test_whole_host_drill.py (it runs last: it replaces the server container).
Restore times are printed at the end of the run, never asserted."""
import time

from conftest import (backup_metrics, backup_now, message_count, on_server, record_time,
                      run_on_client, run_playbook, send, snapshot)

N = 12
FOLDER = "Lưu trữ 2026"
UNIT = "stttt-ttcntttt"

# The user files some mail and reads some: a folder with a Vietnamese name
# (modified UTF-7 on the wire), \Seen and \Flagged flags.
ORGANISE = r'''
def utf7(name):
    out, buf = [], ""
    for ch in name + "\0":
        if ch != "\0" and not (0x20 <= ord(ch) < 0x7f):
            buf += ch
            continue
        if buf:
            import base64
            enc = base64.b64encode(buf.encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + enc + "-")
            buf = ""
        if ch != "\0":
            out.append("&-" if ch == "&" else ch)
    return "".join(out)
imap = imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context())
imap.login(USER, PASSWORD)
folder = '"%s"' % utf7(FOLDER)
imap.create(folder)
imap.subscribe(folder)
imap.select("INBOX")
assert imap.uid("COPY", "1:4", folder)[0] == "OK"
assert imap.uid("STORE", "1:6", "+FLAGS", "(\\Seen)")[0] == "OK"
assert imap.uid("STORE", "2", "+FLAGS", "(\\Flagged)")[0] == "OK"
imap.logout()
print(json.dumps(utf7(FOLDER)))
'''


def home_of(address):
    return on_server(f"doveadm user -f home {address}").stdout.strip()


def destroy_mailbox(address):
    home = home_of(address)
    on_server(f"doveadm kick {address} >/dev/null 2>&1 || true; rm -rf {home}")
    assert message_count(address) == 0


def test_mailbox_restore_inplace(drill_users):
    """Mail in, backup, mailbox deleted, restore-mailbox.yml: identical mailbox."""
    user, password = drill_users[0]
    send([user], N, "drill1")
    encoded = run_on_client(ORGANISE, {"USER": user, "PASSWORD": password, "FOLDER": FOLDER})
    before = snapshot([drill_users[0]])[user]
    assert len(before["INBOX"]["messages"]) >= N
    assert len(before[encoded]["messages"]) >= 4
    assert any("\\Flagged" in m["flags"] for m in before["INBOX"]["messages"].values())

    started = time.time()
    proc, took = backup_now()
    record_time("vmail-backup (daily unit), first archive", took)
    assert proc.returncode == 0, proc.stderr
    metrics = backup_metrics()
    assert metrics["vmail_backup_last_exit_code"] == 0
    assert metrics["vmail_backup_last_success_timestamp_seconds"] >= int(started)
    assert metrics["vmail_backup_files"] > N
    assert metrics["vmail_backup_size_bytes"] > 0

    destroy_mailbox(user)
    took, _ = run_playbook("playbooks/restore-mailbox.yml", f"address={user}")
    record_time("restore-mailbox.yml (in place, one mailbox)", took)
    after = snapshot([drill_users[0]])[user]
    assert after == before


def test_mailbox_restore_beside(drill_users):
    """restore_mode=beside: the archive appears as Restored-YYYYMMDD folders
    (same UIDs, flags, contents); the current mailbox is left as it is."""
    user, _ = drill_users[0]
    proc, _ = backup_now()
    assert proc.returncode == 0, proc.stderr
    archived = snapshot([drill_users[0]])[user]
    send([user], 2, "after-backup")
    current = snapshot([drill_users[0]])[user]
    assert len(current["INBOX"]["messages"]) == len(archived["INBOX"]["messages"]) + 2

    took, _ = run_playbook("playbooks/restore-mailbox.yml", f"address={user}", "restore_mode=beside")
    record_time("restore-mailbox.yml (beside, one mailbox)", took)
    after = snapshot([drill_users[0]])[user]
    for name, folder in current.items():
        assert after[name] == folder, name
    # New folders: one root Restored-YYYYMMDD[-stamp] holding the archived
    # INBOX, and below it (separator "/") every other archived folder.
    restored = {name: folder for name, folder in after.items() if name not in current}
    roots = [name for name in restored if "/" not in name]
    assert len(roots) == 1 and roots[0].startswith("Restored-"), sorted(restored)
    root = roots[0]
    assert restored[root]["messages"] == archived["INBOX"]["messages"]
    assert len(restored) == len(archived), (sorted(restored), sorted(archived))
    for name, folder in archived.items():
        if name != "INBOX":
            assert restored[f"{root}/{name}"]["messages"] == folder["messages"], name


def test_unit_restore_inplace(drill_users):
    """restore-unit.yml: every mailbox of the unit back as archived."""
    send([user for user, _ in drill_users], 3, "unit-drill")
    before = snapshot(drill_users)
    proc, took = backup_now()
    record_time("vmail-backup (daily unit), incremental archive", took)
    assert proc.returncode == 0, proc.stderr
    for user, _ in drill_users:
        destroy_mailbox(user)
    took, _ = run_playbook("playbooks/restore-unit.yml", f"unit={UNIT}")
    record_time(f"restore-unit.yml (unit {UNIT}, in place)", took)
    assert snapshot(drill_users) == before

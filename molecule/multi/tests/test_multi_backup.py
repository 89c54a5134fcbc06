"""A mail host cannot erase its own backups (issue 20 item 8).

The store pushes its archives to the ops host through a key confined to
`borg serve --append-only`; retention runs on the ops host
(vmail-backup-prune). Destroying the repository from the store fails.
Deleting an archive through that key only hides it: the ops host's
retention job sees the archive vanish, refuses to prune or compact (which
would make the deletion permanent) and raises the alert metric; its rollback
brings the archive back, readable in full from the store, which then backs
up again.
"""
import json

from conftest import OPS, STORE, on

BORG = "set -a; . /etc/vmail/backup.env; set +a; "
PRUNE_METRIC = f"/var/lib/prometheus/node-exporter/vmail_backup_prune_{STORE}.prom"


def archives():
    """The store's archives, as the store itself lists them."""
    return [a["name"] for a in json.loads(on(STORE, BORG + "borg list --json").stdout)["archives"]]


def prune_exit_code():
    text = on(OPS, f"cat {PRUNE_METRIC}").stdout
    line = next(line for line in text.splitlines() if line.startswith("vmail_backup_prune_last_exit_code"))
    return int(line.split()[-1])


def test_the_stores_key_is_append_only_and_confined_to_its_repository():
    keys = on(OPS, "cat /srv/borg/.ssh/authorized_keys").stdout.splitlines()
    key = on(STORE, "cat /root/.ssh/vmail-borg.pub").stdout.split()[1]
    line = next((line for line in keys if key in line), "")
    assert line.startswith(f'command="borg serve --append-only --restrict-to-path /srv/borg/{STORE}",restrict '), keys


def test_the_store_cannot_destroy_its_repository():
    on(STORE, "systemctl start vmail-backup.service")
    result = on(STORE, BORG + "BORG_DELETE_I_KNOW_WHAT_I_AM_DOING=YES borg delete", check=False)
    assert result.returncode != 0
    assert "append-only" in result.stdout + result.stderr
    assert archives()


def test_the_store_no_longer_prunes_its_own_archives():
    script = on(STORE, "cat /usr/local/sbin/vmail-backup").stdout
    assert "borg prune" not in script and "borg compact" not in script


def test_an_archive_deleted_from_the_store_is_kept_and_rolled_back():
    on(STORE, "systemctl start vmail-backup.service")
    # The ops host's retention: it prunes, and remembers what it left.
    on(OPS, f"vmail-backup-prune {STORE}")
    assert prune_exit_code() == 0
    victim = archives()[0]

    # Through the append-only key borg accepts the deletion, and the archive
    # disappears from the list.
    on(STORE, BORG + f"borg delete ::{victim} && borg compact")
    assert victim not in archives()

    refused = on(OPS, f"vmail-backup-prune {STORE}", check=False)
    assert refused.returncode == 3, refused.stderr
    assert "REFUSING" in refused.stderr and victim in refused.stderr
    assert prune_exit_code() == 3  # VmailBackupPruneRefused fires on this

    on(OPS, f"vmail-backup-prune {STORE} --rollback")
    assert prune_exit_code() == 0
    # The store forgets the manifest it wrote after the reference, as borg
    # requires after a rollback, and reads the archive back in full.
    on(STORE, "/usr/local/sbin/vmail-backup reset-cache")
    assert victim in archives()
    on(STORE, BORG + f"borg extract --dry-run ::{victim}")

    # Backups and retention go on.
    on(STORE, "systemctl start vmail-backup.service")
    on(OPS, f"vmail-backup-prune {STORE}")
    assert prune_exit_code() == 0

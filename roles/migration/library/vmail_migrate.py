#!/usr/bin/python
"""Copy mailboxes from an old IMAP server into this mail store with Dovecot's dsync over imapc."""
from __future__ import annotations

import concurrent.futures
import imaplib
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

try:  # the vmail package, installed on the host by roles/vmail_package (a dependency of this role)
    from vmail.migration import (
        MailboxResult, Survey, conclude, config_version, doveadm_sync_argv, imapc_config, imapc_settings, local_folder,
        local_totals, over_quota, parse_list, summarise,
    )
    VMAIL_IMPORT_ERROR = ""
except ImportError as exc:
    VMAIL_IMPORT_ERROR = str(exc)

DOCUMENTATION = r"""
module: vmail_migrate
short_description: Copy old mailboxes in with doveadm sync -1 -R over imapc, and report each
description:
  - For each mailbox, logs in to the source over IMAP and counts its folders, messages and
    bytes; refuses, before copying, a mailbox bigger than the account's quota; then runs
    C(doveadm sync -1 -R -u ADDRESS imapc:) and counts the local folders again.
  - A mailbox whose source login fails, or whose copy fails, is reported with its error; the
    others go on. The module itself fails only on bad arguments.
  - Incremental and resumable by construction; dsync copies only what is missing here.
  - In check mode only the source is surveyed; nothing is copied.
  - The source password reaches doveadm in a root-only temporary configuration file, never
    on a command line.
options:
  source:
    description: host, port, ssl (imaps, starttls, no), ssl_verify, ca_file of the old server.
    type: dict
    required: true
  mailboxes:
    description: id, address, source_user, source_password, quota_bytes of each mailbox.
    type: list
    elements: dict
    required: true
  parallel:
    description: Mailboxes copied at the same time.
    type: int
    default: 4
  imapc_features:
    description: Dovecot imapc_features; unset, the defaults of the Dovecot series (vmail.migration).
    type: str
  dovecot_series:
    description: The Dovecot series on this host (vmail.releases), whose setting names the copy uses.
    type: str
    required: true
  doveadm_settings:
    description: More Dovecot settings for the copy (e.g. mail_fsync never).
    type: dict
    default: {}
  exclude_prefixes:
    description: Local folders that are not the mailbox's own (shared namespaces).
    type: list
    elements: str
    default: [Shared/]
  dovecot_config:
    description: The platform's Dovecot configuration, included by the temporary one.
    type: path
    default: /etc/dovecot/dovecot.conf
"""

RETURN = r"""
mailboxes:
  description: One result per mailbox (fields of MailboxResult in vmail.migration).
  type: list
  returned: always
seconds:
  description: Wall time of the whole run (every mailbox, in parallel).
  type: float
  returned: always
summary:
  description: by_status (count per status), moved_messages, failed (address, status, error).
  type: dict
  returned: always
"""

SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
# dsync's exit code when the mailbox changed while it ran: run it again.
DSYNC_RETRY = 2


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tls_context(source: dict[str, Any]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=source.get("ca_file") or None)
    if not source.get("ssl_verify", True):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _connect(source: dict[str, Any]) -> imaplib.IMAP4:
    host, port, mode = source["host"], int(source.get("port", 993)), source.get("ssl", "imaps")
    if mode == "imaps":
        return imaplib.IMAP4_SSL(host, port, ssl_context=_tls_context(source), timeout=60)
    imap = imaplib.IMAP4(host, port, timeout=60)
    if mode == "starttls":
        imap.starttls(ssl_context=_tls_context(source))
    return imap


def survey(source: dict[str, Any], user: str, password: str) -> Survey:
    """Folders, messages and bytes (RFC822.SIZE, which is Dovecot's vsize) at the source."""
    imap = _connect(source)
    try:
        imap.login(user, password)
        found = Survey()
        for wire, sep in parse_list(imap.list()[1]):
            found.separator = found.separator or sep
            local = local_folder(wire, sep)
            _, data = imap.select(_quote(wire), readonly=True)
            count = int(data[0] or 0)
            size = 0
            if count:
                _, sizes = imap.fetch("1:*", "(RFC822.SIZE)")
                size = sum(int(m.group(1)) for line in sizes if isinstance(line, bytes)
                           for m in [SIZE.search(line)] if m)
            found.folders[local] = {"messages": count, "bytes": size}
            found.names[wire] = local
        return found
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def local_status(address: str, exclude: list[str]) -> dict[str, dict[str, int]]:
    proc = subprocess.run(["doveadm", "-f", "json", "mailbox", "status", "-u", address, "messages vsize", "*"],
                          capture_output=True, text=True, check=False, cwd="/")
    if proc.returncode != 0:
        raise RuntimeError(f"doveadm mailbox status: {proc.stderr.strip()[-400:]}")
    return local_totals(json.loads(proc.stdout or "[]"), exclude)


def copy(params: dict[str, Any], box: dict[str, Any], workdir: str) -> str:
    """Run the one-way sync; '' or the error."""
    series = params["dovecot_series"]
    settings = {
        **imapc_settings(series, params["source"], box["source_user"], box["source_password"],
                         params["imapc_features"]),
        **{k: str(v) for k, v in params["doveadm_settings"].items()},
    }
    config = os.path.join(workdir, f"{box['address']}.conf")
    with open(os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write(imapc_config(params["dovecot_config"], settings, series, params["config_version"]))
    try:
        for _ in range(3):
            # cwd: doveadm works as the vmail user, which cannot open Ansible's temporary
            # directory (Dovecot 2.4's flatcurve reopens the working directory).
            proc = subprocess.run(doveadm_sync_argv(config, box["address"]), capture_output=True, text=True,
                                  check=False, cwd="/")
            if proc.returncode != DSYNC_RETRY:
                break
        return "" if proc.returncode == 0 else f"doveadm sync exit {proc.returncode}: {proc.stderr.strip()[-600:]}"
    finally:
        os.unlink(config)


def migrate_one(params: dict[str, Any], box: dict[str, Any], workdir: str, check_mode: bool) -> MailboxResult:
    result = MailboxResult(id=str(box["id"]), address=box["address"], source_user=box["source_user"])
    start = time.monotonic()
    try:
        before = local_status(box["address"], params["exclude_prefixes"])
        result.local_messages = sum(f["messages"] for f in before.values())
        result.local_bytes = sum(f["bytes"] for f in before.values())
        result.local_messages_before = result.local_messages
        try:
            found = survey(params["source"], box["source_user"], box["source_password"])
        except imaplib.IMAP4.error as exc:
            result.status, result.error = "source_login_failed", f"login as {box['source_user']} refused: {exc}"
            return result
        except (OSError, ssl.SSLError) as exc:
            result.status, result.error = "error", f"source {params['source']['host']}: {exc}"
            return result
        result.source_messages, result.source_bytes = found.messages, found.bytes
        result.folders = dict(found.names)
        if over_quota(found.bytes, int(box.get("quota_bytes") or 0)):
            result.status = "over_quota"
            result.error = (f"source holds {found.bytes} bytes, above the quota of {box['quota_bytes']} bytes: "
                            "not copied (docs/migration.md: raise the quota with quota_exception, or clean up "
                            "at the source)")
            return result
        if not check_mode:
            result.error = copy(params, box, workdir)
        after = local_status(box["address"], params["exclude_prefixes"]) if not check_mode else before
        conclude(result, found, after, result.local_messages_before, check_mode)
    except (RuntimeError, OSError, ValueError) as exc:
        result.status, result.error = "error", str(exc)
    finally:
        result.seconds = round(time.monotonic() - start, 2)
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "source": {"type": "dict", "required": True},
            "mailboxes": {"type": "list", "elements": "dict", "required": True, "options": {
                "id": {"type": "str", "required": True},
                "address": {"type": "str", "required": True},
                "source_user": {"type": "str", "required": True},
                "source_password": {"type": "str", "required": True, "no_log": True},
                "quota_bytes": {"type": "int", "default": 0},
            }},
            "parallel": {"type": "int", "default": 4},
            "imapc_features": {"type": "str"},
            "dovecot_series": {"type": "str", "required": True},
            "doveadm_settings": {"type": "dict", "default": {}},
            "exclude_prefixes": {"type": "list", "elements": "str", "default": ["Shared/"]},
            "dovecot_config": {"type": "path", "default": "/etc/dovecot/dovecot.conf"},
        },
        supports_check_mode=True,
    )
    if VMAIL_IMPORT_ERROR:
        module.fail_json(msg=f"the vmail package is not installed on this host (roles/vmail_package): {VMAIL_IMPORT_ERROR}")
    params = dict(module.params)
    with open(params["dovecot_config"], encoding="utf-8") as main_config:
        params["config_version"] = config_version(main_config.read())
    start = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="vmail-migrate-")   # 0700, root's: holds the source passwords briefly
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(params["parallel"], 1)) as pool:
            results = list(pool.map(lambda box: migrate_one(params, box, workdir, module.check_mode),
                                    params["mailboxes"]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    rows = [r.as_dict() for r in results]
    changed = any(r.status in ("copied", "would_copy") for r in results)
    module.exit_json(changed=changed, mailboxes=rows, summary=summarise(results),
                     seconds=round(time.monotonic() - start, 2))


if __name__ == "__main__":
    main()

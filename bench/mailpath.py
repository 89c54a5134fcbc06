#!/usr/bin/env python3
"""Benchmark of the mail path: message throughput with and without filtering, and IMAP logins/s.

One container (vmail-bench-mail, image localhost/vmail-debian12:latest, network vmail-bench-net)
converged with site.yml (every tier, filtering included), then:

1. Throughput: N messages of a realistic size (a Vietnamese text part and a base64 attachment)
   sent with Postfix's smtp-source to port 25 over several sessions and recipients, through
   Postfix -> Rspamd (milter; Rspamd asks ClamAV) -> LMTP -> Dovecot. The bench counts what
   Postfix accepted (cleanup's log lines) and the message files that arrive in the maildirs;
   delivered must equal accepted. Rate = messages / seconds from the first connection to the
   last file in a maildir. Then the MX play again with postfix_milters: [] and the same N:
   filtering off. Ratio on/off.
2. IMAP logins per second (LOGIN then LOGOUT, parallel clients over loopback port 143, which
   Dovecot counts as secured) for accounts whose passwords are SHA512-CRYPT, with the auth cache
   off (the role's default) and with dovecot_auth_cache_size: 10M.

Clients run inside the container, over loopback: they share the CPU with the servers (as the
2-core lab machine has no spare core), so the figures are a floor. Rspamd counts loopback as a
local network and skips the checks it skips for local senders (SPF, RBL); ClamAV scans every
message.

    .venv/bin/python bench/mailpath.py [--messages 400] [--logins 400]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import shutil
import sys
import time
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402  pylint: disable=wrong-import-position

FQDN = "mail.tiengiang.gov.vn"
SENDER = "bench@example.net"
BENCH_PASSWORD = "Bench#Dang.Nhap2026"  # set on the bench container's accounts only
COUNT_FILES = "find /var/vmail -type f \\( -path '*/new/*' -o -path '*/cur/*' \\) | wc -l"
ACCEPTED = "journalctl -q -o cat -t postfix/cleanup --since @{since} | grep -c 'message-id=' || true"

# Runs inside the container: P processes, each logging in and out in a loop for its share.
LOGIN_CLIENT = r"""
import imaplib, json, multiprocessing, sys, time
users, password, total, procs = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def worker(n):
    ok = failed = 0
    for i in range(total // procs):
        user = users[(n * 7919 + i) % len(users)]
        try:
            imap = imaplib.IMAP4("127.0.0.1", 143)
            imap.login(user, password)
            imap.logout()
            ok += 1
        except Exception:
            failed += 1
    return ok, failed
start = time.perf_counter()
with multiprocessing.Pool(procs) as pool:
    results = pool.map(worker, range(procs))
seconds = time.perf_counter() - start
print(json.dumps({"ok": sum(r[0] for r in results), "failed": sum(r[1] for r in results), "seconds": seconds}))
"""


def message(size_kib: int) -> str:
    """A realistic official message: RFC 2047 Vietnamese subject, text part, base64 attachment."""
    rnd = random.Random(51)
    attachment = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(size_kib * 1024 * 3 // 4))).decode()
    subject = Header("Công văn số 123/STTTT-CNTT về việc triển khai thư điện tử công vụ", "utf-8").encode()
    text = base64.encodebytes(("Kính gửi các đơn vị,\n\nSở Thông tin và Truyền thông đề nghị các đơn vị "
                               "triển khai hệ thống thư điện tử công vụ theo Quyết định 51/2016/QĐ-UBND.\n"
                               "Trân trọng.\n").encode()).decode()
    return "\n".join([
        f"From: =?utf-8?b?{base64.b64encode('Văn thư'.encode()).decode()}?= <{SENDER}>",
        "To: undisclosed-recipients:;",
        f"Subject: {subject}",
        f"Date: {format_datetime(time.gmtime and __import__('datetime').datetime.now(__import__('datetime').timezone.utc))}",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="vmail-bench"',
        "",
        "--vmail-bench",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        text.rstrip("\n"),
        "--vmail-bench",
        'Content-Type: application/pdf; name="cong-van-123.pdf"',
        'Content-Disposition: attachment; filename="cong-van-123.pdf"',
        "Content-Transfer-Encoding: base64",
        "",
        attachment.rstrip("\n"),
        "--vmail-bench--",
        "",
    ])


def recipients(inventory: benchlib.LabInventory, count: int) -> list[str]:
    """Addresses of active people from the bench run's registry (and personnel file)."""
    import yaml  # pylint: disable=import-outside-toplevel

    registry = yaml.safe_load((inventory.dir / "registry.yml").read_text(encoding="utf-8"))
    personnel = yaml.safe_load((inventory.dir / "personnel.yml").read_text(encoding="utf-8"))
    active = [p["id"] for p in personnel["people"] if p.get("status", "active") == "active"]
    return [registry[pid] for pid in active if pid in registry][:count]


def wait_for(container: benchlib.Container, target: int, timeout: float) -> tuple[int, float]:
    """Poll the maildirs until ``target`` files are there (or timeout); (files, time seen)."""
    deadline = time.perf_counter() + timeout
    files = int(container.sh(COUNT_FILES))
    while files < target and time.perf_counter() < deadline:
        time.sleep(0.25)
        files = int(container.sh(COUNT_FILES))
    return files, time.perf_counter()


def throughput(container: benchlib.Container, rcpts: list[str], total: int, sessions: int) -> dict[str, Any]:
    """Send ``total`` messages spread over the recipients; accepted, delivered, messages/s."""
    container.sh("postsuper -d ALL >/dev/null 2>&1 || true")
    before = int(container.sh(COUNT_FILES))
    since = int(container.sh("date +%s")) - 1
    per = total // len(rcpts)
    script = " & ".join(
        f"smtp-source -s {max(1, sessions // len(rcpts))} -m {per} -f {SENDER} -t {rcpt} -M client.example.net "
        f"-F /root/bench-message.eml 127.0.0.1:25" for rcpt in rcpts) + " & wait"
    start = time.perf_counter()
    container.sh(script)
    sent_s = time.perf_counter() - start
    accepted = int(container.sh(ACCEPTED.format(since=since)).strip() or 0)
    files, seen = wait_for(container, before + accepted, timeout=max(120.0, total * 2.0))
    delivered = files - before
    container.sh("sleep 2")
    queue = container.sh("postqueue -j | wc -l").strip()
    return {"sent": per * len(rcpts), "accepted": accepted, "delivered": delivered,
            "lost": accepted - delivered, "left_in_queue": int(queue), "smtp_seconds": round(sent_s, 2),
            "seconds": round(seen - start, 2), "messages_per_s": round(delivered / (seen - start), 2)}


def logins(container: benchlib.Container, users: list[str], total: int, procs: int) -> dict[str, Any]:
    """IMAP LOGIN/LOGOUT cycles per second from ``procs`` parallel clients."""
    out = container.sh(f"python3 -c {shlex_quote(LOGIN_CLIENT)} {shlex_quote(json.dumps(users))} "
                       f"{shlex_quote(BENCH_PASSWORD)} {total} {procs}")
    result = json.loads(out)
    result["logins_per_s"] = round(result["ok"] / result["seconds"], 1)
    result["seconds"] = round(result["seconds"], 2)
    return result


def shlex_quote(text: str) -> str:
    """Quote for the container's bash."""
    import shlex  # pylint: disable=import-outside-toplevel

    return shlex.quote(text)


def main(argv: list[str] | None = None) -> int:
    """Converge, measure, print, write bench/results/throughput.json and imap_logins.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--size-kib", type=int, default=48, help="attachment size on the wire")
    parser.add_argument("--recipients", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--logins", type=int, default=400)
    parser.add_argument("--login-clients", type=int, default=4)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the container at the end; reuse an existing one without converging again")
    args = parser.parse_args(argv)
    info = benchlib.machine()
    benchlib.print_machine(info)
    existed = args.reuse and benchlib.run(["podman", "container", "exists", "vmail-bench-mail"],
                                          check=False).returncode == 0
    with benchlib.Container("vmail-bench-mail", FQDN, reuse=args.reuse) as container:
        inventory = benchlib.LabInventory(container, FQDN, keep=args.reuse)
        try:
            if not existed:
                shutil.copy(benchlib.REPO / "inventories" / "lab" / "personnel.yml", inventory.dir / "personnel.yml")
                converge = inventory.playbook("site.yml")
                print(f"converged site.yml (filtering on) in {converge['seconds']:.0f} s", flush=True)
            else:
                # Filtering on, as site.yml leaves it (a reused container may have been left without).
                inventory.playbook("site.yml", "--tags", "accounts,mx")
            rcpts = recipients(inventory, args.recipients)
            container.sh("cat > /root/bench-message.eml", stdin=message(args.size_kib))
            size = int(container.sh("stat -c %s /root/bench-message.eml"))
            milters = container.sh("postconf -h smtpd_milters").strip()
            on = throughput(container, rcpts, args.messages, args.sessions)
            on["smtpd_milters"] = milters
            print(f"filtering ON  ({milters}): {on['accepted']} accepted, {on['delivered']} delivered, "
                  f"{on['seconds']:.1f} s, {on['messages_per_s']:.1f} msg/s", flush=True)
            inventory.playbook("site.yml", "--tags", "accounts,mx", "-e", '{"postfix_milters": []}')
            milters = container.sh("postconf -h smtpd_milters").strip()
            off = throughput(container, rcpts, args.messages, args.sessions)
            off["smtpd_milters"] = milters
            print(f"filtering OFF ({milters or 'none'}): {off['accepted']} accepted, {off['delivered']} delivered, "
                  f"{off['seconds']:.1f} s, {off['messages_per_s']:.1f} msg/s", flush=True)
            ratio = round(off["messages_per_s"] / on["messages_per_s"], 2) if on["messages_per_s"] else None
            print(f"ratio off/on: {ratio}  (message {size} bytes; delivered == accepted: "
                  f"{on['lost'] == 0 and off['lost'] == 0})")
            benchlib.write_result("throughput", {
                "machine": info, "message_bytes": size, "recipients": len(rcpts), "sessions": args.sessions,
                "filtering_on": on, "filtering_off": off, "ratio_off_over_on": ratio,
                "nothing_lost": on["lost"] == 0 and off["lost"] == 0,
                "measured": "smtp-source to 127.0.0.1:25 inside the container; delivered = message files "
                            "that appeared under /var/vmail; accepted = postfix/cleanup message-id lines"})

            users = rcpts + recipients(inventory, 40)[len(rcpts):]
            for user in users:
                container.sh(f"vmail-accounts set-password --changed-by-user {shlex_quote(user)}", stdin=BENCH_PASSWORD)
            scheme = container.sh(f"sqlite3 /var/lib/vmail/accounts.sqlite \"SELECT substr(password, 1, 14) FROM "
                                  f"accounts WHERE address = '{users[0]}'\"").strip()
            rows = {}
            for label, cache in (("cache_off", "0"), ("cache_on", "10M")):
                inventory.playbook("site.yml", "--tags", "accounts,mailstore", "-e",
                                   json.dumps({"dovecot_auth_cache_size": cache}))
                container.sh("doveadm auth cache flush >/dev/null 2>&1 || true")
                rows[label] = logins(container, users, args.logins, args.login_clients)
                rows[label]["auth_cache_size"] = container.sh("doveconf -h auth_cache_size").strip()
                print(f"IMAP logins, auth cache {rows[label]['auth_cache_size']}: {rows[label]['ok']} ok, "
                      f"{rows[label]['failed']} failed, {rows[label]['logins_per_s']:.1f} logins/s", flush=True)
            ratio = (round(rows["cache_on"]["logins_per_s"] / rows["cache_off"]["logins_per_s"], 2)
                     if rows["cache_off"]["logins_per_s"] else None)
            print(f"ratio cache on/off: {ratio}")
            benchlib.write_result("imap_logins", {
                "machine": info, "password_scheme": scheme.split("}")[0] + "}", "users": len(users),
                "clients": args.login_clients, **rows, "ratio_cache_on_over_off": ratio,
                "measured": "LOGIN + LOGOUT over loopback port 143 from parallel python imaplib processes "
                            "inside the container"})
        finally:
            inventory.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

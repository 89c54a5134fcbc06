#!/usr/bin/env python3
"""Benchmark of the mail path: the platform against a stock server, side by side, and IMAP logins/s.

Three containers from the lab image on a network of their own (vmail-bench-mailpath-net,
10.89.82.0/24):

- A, vmail-bench-mail: converged with site.yml (every tier; Postfix -> Rspamd milter, which asks
  ClamAV about every attachment, DKIM, quota-status, sender checks -> LMTP -> Dovecot).
- B, vmail-bench-ref: the stock reference, bench/mailpath-reference.yml: Debian's Postfix, Dovecot
  (LMTP), Rspamd and Redis wired as a tutorial would, defaults, no ClamAV.
- vmail-bench-client: a Python SMTP client (threads, one SMTP session per message, CRLF) sends
  the load over the network to port 25 of A, then of B, then A, B again (A B A B per mix), to the
  same recipients' addresses on both. Every message differs (its own Message-ID, and a sequence
  number written into the text part and the attachment), so Rspamd's cache of ClamAV verdicts
  never answers for one: ClamAV scans each (the bench counts the verdicts stored in Redis).

Mixes: text only (about 4 KB), a 100 KB attachment, a 2 MB attachment (random bytes labelled as
a PDF, base64). Accepted = the 250 replies the client got (Postfix's cleanup message-id lines
minus its milter-reject lines are recorded beside them); delivered = message files that appeared
in the maildirs; they must be equal. Rate = delivered / seconds from the first connection to the
last file in a maildir. Ratio per mix = the platform's mean rate / the reference's mean rate.
CPU per message, by command, in each server container (/proc/*/stat before and after a round):
less disturbed than the rates by other jobs on a shared machine. In the same run, a message
whose 2 MB zip attachment holds the EICAR test file is sent to A and must be refused (5xx).
The load average goes into the JSON at start, per round and at the end.

Then IMAP logins per second (LOGIN then LOGOUT, parallel clients over loopback port 143 inside A)
for SHA512-CRYPT accounts, with the auth cache off (the role's default) and on (10M).

    .venv/bin/python bench/mailpath.py [--text 600] [--small 400] [--large 50] [--logins 400] [--reuse]
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import random
import shutil
import sys
import time
from email.header import Header
from email.utils import format_datetime
from typing import Any

import benchlib  # bench/ is the script's own directory, first on sys.path

FQDN = "mail.tiengiang.gov.vn"
SENDER = "bench@example.net"
BENCH_PASSWORD = "Bench#Dang.Nhap2026"  # set on the bench container's accounts only
COUNT_FILES = "find /var/vmail -type f \\( -path '*/new/*' -o -path '*/cur/*' \\) | wc -l"
ACCEPTED = "journalctl -q -o cat -t postfix/cleanup --since @{since} | grep -c 'message-id=' || true"
# ClamAV verdicts Rspamd cached in Redis: one key per message (or part) ClamAV really scanned
# (its log line for a clean verdict is folded into "last message repeated" under load).
CLAM_SCANS = "redis-cli --scan --pattern 'rs_clamav_*' 2>/dev/null | wc -l"
REFUSED = "journalctl -q -o cat -t postfix/cleanup --since @{since} | grep -c 'milter-reject' || true"

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


EICAR_HALVES = ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-", "STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
NET = "vmail-bench-mailpath-net"
SUBNET = "10.89.82"
# Message mixes: label, attachment KiB on the wire (0: text only), messages, SMTP sessions.
MIXES = (("text", 0, 600, 20), ("100KB", 100, 400, 10), ("2MB", 2048, 50, 5))

TEXT = ("Kính gửi các đơn vị,\n\nSở Thông tin và Truyền thông đề nghị các đơn vị triển khai hệ thống "
        "thư điện tử công vụ theo Quyết định 51/2016/QĐ-UBND. Các đơn vị báo cáo kết quả thực hiện "
        "trước ngày 30 tháng 6, gửi về Phòng Công nghệ thông tin qua hệ thống thư điện tử.\n") * 8


# 16 base64 characters (12 bytes) at the start of each part, replaced per message by the client.
SEQ_PART = b"@@SEQUENCE@@@@@@"


def message(size_kib: int, attachment: bytes | None = None, name: str = "cong-van-123.pdf") -> str:
    """A realistic official message: RFC 2047 Vietnamese subject, text part and (size_kib > 0 or
    ``attachment``) a base64 attachment of that size on the wire, random bytes unless given."""
    import datetime  # pylint: disable=import-outside-toplevel

    rnd = random.Random(51)
    if attachment is None and size_kib:
        attachment = bytes(rnd.getrandbits(8) for _ in range(size_kib * 1024 * 3 // 4))
    subject = Header("Công văn số 123/STTTT-CNTT về việc triển khai thư điện tử công vụ", "utf-8").encode()
    # Markers the load client replaces in every copy, so that no two messages, text parts or
    # attachments are the same (a scanner's cache of verdicts by content never answers for one).
    text = SEQ_PART.decode() + base64.encodebytes(TEXT.encode()).decode().rstrip("\n")
    lines = [
        f"From: =?utf-8?b?{base64.b64encode('Văn thư'.encode()).decode()}?= <{SENDER}>",
        f"Subject: {subject}",
        f"Date: {format_datetime(datetime.datetime.now(datetime.timezone.utc))}",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="vmail-bench"',
        "",
        "--vmail-bench",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: base64",
        "",
        text,
    ]
    if attachment is not None:
        kind = "application/zip" if name.endswith(".zip") else "application/pdf"
        lines += [
            "--vmail-bench",
            f'Content-Type: {kind}; name="{name}"',
            f'Content-Disposition: attachment; filename="{name}"',
            "Content-Transfer-Encoding: base64",
            "",
            SEQ_PART.decode() + base64.encodebytes(attachment).decode().rstrip("\n")[len(SEQ_PART):],
        ]
    return "\n".join(lines + ["--vmail-bench--", ""])


def eicar_zip(size_kib: int) -> bytes:
    """A zip of about size_kib: a random 'report' and the 68-byte EICAR test file (eicar.com)."""
    import io  # pylint: disable=import-outside-toplevel
    import zipfile  # pylint: disable=import-outside-toplevel

    rnd = random.Random(7)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bao-cao.bin", bytes(rnd.getrandbits(8) for _ in range(size_kib * 1024 * 3 // 4 - 1024)))
        archive.writestr("eicar.com", "".join(EICAR_HALVES))
    return buf.getvalue()


# Runs in the client container: ``total`` messages over ``sessions`` parallel SMTP sessions, one
# session per message, each copy of the template with its own 12 bytes at the start of every part.
LOAD_CLIENT = r"""
import base64, json, smtplib, sys, threading, time
host, sender, rcpts, total, sessions, path, marker, first = sys.argv[1:9]
rcpts, total, sessions, first = rcpts.split(","), int(total), int(sessions), int(first)
# SMTP wants CRLF; each copy gets its own Message-ID and its recipient in To:.
template = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
marker = marker.encode()
codes = {}
lock = threading.Lock()
def worker(n):
    for i in range(n, total, sessions):
        rcpt = rcpts[i % len(rcpts)]
        data = (b"Message-ID: <%d.bench@client.example.net>\r\nTo: <%s>\r\n" % (first + i, rcpt.encode())
                + template.replace(marker, base64.b64encode(b"So: %07d\n" % (first + i))))
        try:
            with smtplib.SMTP(host, 25, "client.example.net", timeout=300) as smtp:
                smtp.sendmail(sender, [rcpt], data)
            code = 250
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
        except (smtplib.SMTPException, OSError):
            code = 0
        with lock:
            codes[code] = codes.get(code, 0) + 1
start = time.perf_counter()
threads = [threading.Thread(target=worker, args=(n,)) for n in range(sessions)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"codes": codes, "seconds": time.perf_counter() - start}))
"""

# Runs in a server container: CPU seconds so far per command name (utime + stime of the live
# processes, plus cutime + cstime: what their reaped children used, e.g. Postfix's master collects
# its smtpd, cleanup and lmtp processes). Deltas over a round give where the CPU went, which the
# other jobs on a shared machine disturb much less than they disturb wall-clock rates.
CPU_BY_COMMAND = r"""
import json, os
ticks = os.sysconf("SC_CLK_TCK")
out = {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        continue
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    out[comm] = out.get(comm, 0) + sum(int(v) for v in fields[11:15]) / ticks
print(json.dumps(out))
"""


def cpu_by_command(server: benchlib.Container) -> dict[str, float]:
    """CPU seconds used so far in the container, per command name."""
    return json.loads(server.sh(f"python3 -c {shlex_quote(CPU_BY_COMMAND)}"))


# Runs in the client container: one message by SMTP, the server's final reply as JSON.
SEND_ONE = r"""
import json, smtplib, sys
host, sender, rcpt = sys.argv[1:4]
data = sys.stdin.buffer.read()
try:
    with smtplib.SMTP(host, 25, "client.example.net", timeout=300) as smtp:
        smtp.sendmail(sender, [rcpt], data)
    print(json.dumps({"code": 250, "reply": "queued"}))
except smtplib.SMTPDataError as exc:
    print(json.dumps({"code": exc.smtp_code, "reply": exc.smtp_error.decode(errors="replace")}))
except smtplib.SMTPRecipientsRefused as exc:
    code, reply = list(exc.recipients.values())[0]
    print(json.dumps({"code": code, "reply": reply.decode(errors="replace")}))
"""


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


def accepted_since(server: benchlib.Container, since: int) -> int:
    """Messages Postfix queued since ``since``: cleanup's message-id lines minus its milter rejects."""
    seen = int(server.sh(ACCEPTED.format(since=since)).strip() or 0)
    refused = int(server.sh(REFUSED.format(since=since)).strip() or 0)
    return seen - refused


# The first sequence number of each round: no message repeats one of an earlier round (or, most
# likely, of an earlier run on kept containers).
SEQUENCE = itertools.count((int(time.time()) % 500) * 10_000, 10_000)


def throughput(server: benchlib.Container, client: benchlib.Container, rcpts: list[str], eml: str,
               total: int, sessions: int) -> dict[str, Any]:
    """The client sends ``total`` messages to the server over the network; accepted, delivered, msg/s."""
    server.sh("postsuper -d ALL >/dev/null 2>&1 || true")
    before = int(server.sh(COUNT_FILES))
    since = int(server.sh("date +%s")) - 1
    cpu_before = cpu_by_command(server)
    scans_before = int(server.sh(CLAM_SCANS).strip() or 0)
    start = time.perf_counter()
    sent = json.loads(client.sh(f"python3 -c {shlex_quote(LOAD_CLIENT)} {server.address} {SENDER} "
                                f"{','.join(rcpts)} {total} {sessions} {eml} {SEQ_PART.decode()} {next(SEQUENCE)}"))
    sent_s = time.perf_counter() - start
    # Accepted: the 250 replies the client got to its DATA.
    accepted = sent["codes"].get("250", 0)
    files, seen = wait_for(server, before + accepted, timeout=max(120.0, total * 2.0))
    delivered = files - before
    cpu = {comm: seconds - cpu_before.get(comm, 0.0) for comm, seconds in cpu_by_command(server).items()}
    cpu_ms = {comm: round(seconds * 1000 / max(1, delivered), 2) for comm, seconds in
              sorted(cpu.items(), key=lambda item: -item[1]) if seconds * 1000 / max(1, delivered) >= 0.5}
    server.sh("sleep 2")  # Rspamd saves a verdict in Redis after it answered the milter
    scans = int(server.sh(CLAM_SCANS).strip() or 0) - scans_before
    queue = server.sh("postqueue -j | wc -l").strip()
    return {"sent": total, "smtp_replies": sent["codes"], "accepted": accepted,
            "queued_in_postfix_log": accepted_since(server, since), "delivered": delivered,
            "lost": accepted - delivered, "left_in_queue": int(queue), "smtp_seconds": round(sent_s, 2),
            "seconds": round(seen - start, 2), "messages_per_s": round(delivered / (seen - start), 2),
            "loadavg": [round(v, 2) for v in os.getloadavg()],
            "clamav_verdicts_cached": scans,
            "cpu_ms_per_message": round(sum(cpu.values()) * 1000 / max(1, delivered), 2),
            "cpu_ms_per_message_by_command": cpu_ms}


def send_one(server: benchlib.Container, client: benchlib.Container, rcpt: str, eml: str) -> dict[str, Any]:
    """One message from the client by smtplib; the server's reply code and text."""
    return json.loads(client.sh(f"python3 -c {shlex_quote(SEND_ONE)} {server.address} {SENDER} {rcpt}",
                                stdin=eml))


def side_by_side(servers: dict[str, benchlib.Container], client: benchlib.Container,
                 rcpts: dict[str, list[str]], mixes: list[tuple[str, int, int, int]],
                 rounds: int) -> dict[str, Any]:
    """Per mix, A B A B...: the platform's and the reference's rates and the ratio of the means."""
    out: dict[str, Any] = {}
    for label, kib, total, sessions in mixes:
        eml = f"/root/bench-{label}.eml"
        client.sh(f"cat > {eml}", stdin=message(kib))
        size = int(client.sh(f"stat -c %s {eml}"))
        runs: dict[str, list[dict[str, Any]]] = {"platform": [], "reference": []}
        for rnd in range(rounds):
            for name in ("platform", "reference"):
                result = throughput(servers[name], client, rcpts[name], eml, total, sessions)
                runs[name].append(result)
                print(f"  {label:>5} round {rnd + 1} {name:>9}: {result['accepted']} accepted, "
                      f"{result['clamav_verdicts_cached']} ClamAV verdicts, "
                      f"{result['delivered']} delivered, {result['seconds']:.1f} s, "
                      f"{result['messages_per_s']:.1f} msg/s (load {result['loadavg'][0]})", flush=True)
        mean = {name: round(sum(r["messages_per_s"] for r in rs) / len(rs), 2) for name, rs in runs.items()}
        cpu = {name: round(sum(r["cpu_ms_per_message"] for r in rs) / len(rs), 1) for name, rs in runs.items()}
        ratio = round(mean["platform"] / mean["reference"], 2) if mean["reference"] else None
        per_round = [round(a["messages_per_s"] / b["messages_per_s"], 2) if b["messages_per_s"] else None
                     for a, b in zip(runs["platform"], runs["reference"])]
        lost = sum(r["lost"] for rs in runs.values() for r in rs)
        print(f"{label}: platform {mean['platform']:.1f} msg/s, reference {mean['reference']:.1f} msg/s, "
              f"ratio {ratio} (rounds {per_round}); CPU ms/message platform {cpu['platform']}, reference "
              f"{cpu['reference']}; message {size} bytes; delivered == accepted: {lost == 0}; ClamAV verdicts on "
              f"the platform: {sum(r['clamav_verdicts_cached'] for r in runs['platform'])}",
              flush=True)
        out[label] = {"message_bytes": size, "messages": total, "sessions": sessions, "runs": runs,
                      "mean_messages_per_s": mean, "ratio_platform_over_reference": ratio,
                      "mean_cpu_ms_per_message": cpu,
                      "ratio_per_round": per_round, "nothing_lost": lost == 0}
    return out


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


def inventories(platform: benchlib.Container, ref: benchlib.Container, reuse: bool
                ) -> tuple[benchlib.LabInventory, benchlib.LabInventory]:
    """The platform's lab inventory (every tier on one host) and the reference's (one bare host)."""
    inventory = benchlib.LabInventory(platform, FQDN, keep=reuse)
    ref_inventory = benchlib.LabInventory(ref, "mx.reference.test", keep=reuse)
    # The reference is one host in no group of the platform's: only group_vars/all (SSH) applies.
    (ref_inventory.dir / "hosts.yml").write_text(
        f"---\nall:\n  hosts:\n    reference:\n      ansible_host: {ref.address}\n"
        f"      vmail_lab_ssh_dir: {benchlib.SSH_DIR}\n", encoding="utf-8")
    shutil.copy(benchlib.REPO / "inventories" / "lab" / "personnel.yml", inventory.dir / "personnel.yml")
    return inventory, ref_inventory


def main(argv: list[str] | None = None) -> int:
    """Converge both servers, measure, print, write bench/results/throughput.json and imap_logins.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", type=int, default=MIXES[0][2], help="messages of the text-only mix")
    parser.add_argument("--small", type=int, default=MIXES[1][2], help="messages with a 100 KB attachment")
    parser.add_argument("--large", type=int, default=MIXES[2][2], help="messages with a 2 MB attachment")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds per mix")
    parser.add_argument("--recipients", type=int, default=4)
    parser.add_argument("--logins", type=int, default=400, help="0 skips the IMAP login benchmark")
    parser.add_argument("--login-clients", type=int, default=4)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the containers at the end; reuse existing ones without converging again")
    args = parser.parse_args(argv)
    info = benchlib.machine()
    benchlib.print_machine(info)
    mixes = [(label, kib, count, sessions) for (label, kib, _, sessions), count
             in zip(MIXES, (args.text, args.small, args.large)) if count]
    existed = args.reuse and benchlib.container_exists("vmail-bench-mail")
    net = {"network": NET, "subnet": SUBNET, "reuse": args.reuse}
    with benchlib.Container("vmail-bench-mail", FQDN, host_number=10, **net) as platform, \
            benchlib.Container("vmail-bench-ref", "mx.reference.test", host_number=11, **net) as ref, \
            benchlib.Container("vmail-bench-client", "client.example.net", host_number=12, **net) as client:
        inventory, ref_inventory = inventories(platform, ref, args.reuse)
        seconds: dict[str, float] = {}
        try:
            if existed:
                inventory.playbook("site.yml", "--tags", "accounts,mx")
            else:
                seconds["platform"] = inventory.playbook("site.yml")["seconds"]
                print(f"converged site.yml on {platform.name} in {seconds['platform']:.0f} s", flush=True)
            rcpts = recipients(inventory, args.recipients)
            domain = rcpts[0].rpartition("@")[2]
            ref_run = ref_inventory.playbook("bench/mailpath-reference.yml", "-e", json.dumps(
                {"bench_reference_domain": domain, "bench_reference_recipients": rcpts}))
            seconds["reference"] = ref_run["seconds"]
            print(f"converged bench/mailpath-reference.yml on {ref.name} in {ref_run['seconds']:.0f} s", flush=True)

            # Every attachment is scanned: EICAR in a 2 MB zip must be refused by the platform.
            eicar = send_one(platform, client, rcpts[0], message(0, eicar_zip(2048), "bao-cao.zip"))
            print(f"EICAR inside a 2 MB zip attachment -> platform: {eicar['code']} {eicar['reply']}", flush=True)

            mixes_out = side_by_side({"platform": platform, "reference": ref}, client,
                                     {"platform": rcpts, "reference": rcpts}, mixes, args.rounds)
            for label, row in mixes_out.items():
                print(f"ratio platform/reference, {label}: {row['ratio_platform_over_reference']}")
            benchlib.write_result("throughput", {
                "machine": info, "loadavg_at_end": [round(v, 2) for v in os.getloadavg()],
                "recipients": len(rcpts), "rounds": args.rounds, "converge_seconds": seconds,
                "platform_milters": platform.sh("postconf -h smtpd_milters").strip(),
                "reference_milters": ref.sh("postconf -h smtpd_milters").strip(),
                "eicar_in_2mb_zip": {**eicar, "refused": 500 <= eicar["code"] < 600},
                "mixes": mixes_out,
                "nothing_lost": all(row["nothing_lost"] for row in mixes_out.values()),
                "measured": "smtp-source in vmail-bench-client to port 25 of vmail-bench-mail (platform, "
                            "site.yml) and vmail-bench-ref (bench/mailpath-reference.yml) in turn, A B A B; "
                            "delivered = message files that appeared under /var/vmail; accepted = "
                            "250 replies to the client's DATA"})
            if args.logins:
                imap_logins(platform, inventory, rcpts, args, info)
        finally:
            inventory.cleanup()
            ref_inventory.cleanup()
    return 0


def imap_logins(container: benchlib.Container, inventory: benchlib.LabInventory, rcpts: list[str],
                args: argparse.Namespace, info: dict[str, Any]) -> None:
    """IMAP logins/s with the auth cache off and on: bench/results/imap_logins.json."""
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


if __name__ == "__main__":
    sys.exit(main())

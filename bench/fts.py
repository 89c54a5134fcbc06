#!/usr/bin/env python3
"""Full-text search: search time on a full 500 MB mailbox, index size, delivery with indexing on and off.

One container (vmail-bench-fts) converged with site.yml, as the lab runs it
(Dovecot with the Lucene full-text index, dovecot_fts_enabled: true). Then:

1. One mailbox is filled to --mib MiB (default 480: just under the 500 MB quota)
   with generated Vietnamese mail: official-style text (subjects and bodies
   drawn from an administrative vocabulary, with diacritics), one message in
   --attachment-every carrying a base64 "PDF" (random bytes, which the index
   skips). The files are written straight into the Maildir by a Python script
   inside the container (thousands of messages a second; doveadm save or LMTP
   would index as they go, and we time the indexing on its own), then
   `doveadm index` builds the index: its time, its size per MiB of mail, and
   the quota Dovecot reports for the mailbox (the count backend) before and after.
2. IMAP `UID SEARCH CHARSET UTF-8 TEXT ...` on that INBOX (doveadm exec imap:
   the IMAP process a login would get, without the TLS handshake), for a
   common phrase without diacritics ("bao cao"), a rare one (in 3 messages),
   and an absent word: the median of --repeat runs, and the hits.
3. Delivery: --deliver messages over LMTP (the unix socket Postfix uses, 4
   sessions in parallel) into a fresh mailbox, then one IMAP search that must
   find them all (it waits for Dovecot's indexer), so the figure is
   "delivered and searchable": with indexing on, and again after
   site.yml --tags accounts,mailstore -e dovecot_fts_enabled=false (the same searches
   are timed there too: Dovecot then reads every message). Ratio off/on.

Prints the machine; writes bench/results/fts.json. Never fails on a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

FQDN = "mail.tiengiang.gov.vn"
# When another benchmark holds the shared bench network, run on another one.
benchlib.NETWORK = os.environ.get("VMAIL_BENCH_NETWORK", benchlib.NETWORK)
benchlib.SUBNET = os.environ.get("VMAIL_BENCH_SUBNET", benchlib.SUBNET)
QUERIES = {"common": "bao cao", "rare": "khanh hau", "absent": "xylophone"}

# Runs inside the container as vmail: writes --mib MiB of Vietnamese mail into a Maildir.
FILL = r'''
import base64, os, random, sys, time
maildir, mib, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(21)
words = """báo cáo công văn quyết định kế hoạch tờ trình thông báo giấy mời biên bản hội nghị
ủy ban nhân dân tỉnh Tiền Giang sở thông tin truyền thông tài chính nội vụ giáo dục đào tạo
y tế xây dựng giao thông vận tải nông nghiệp phát triển nông thôn tài nguyên môi trường
Đà Nẵng Hà Nội thành phố Hồ Chí Minh Mỹ Tho Gò Công Cai Lậy Cái Bè Tân Phước Chợ Gạo
đề nghị các đơn vị triển khai thực hiện đúng thời hạn quy định về việc tổng hợp số liệu
năm tháng quý kết quả đánh giá chuyển đổi số hành chính công dịch vụ trực tuyến cấp độ
phòng ban lãnh đạo chuyên viên văn thư lưu trữ ký số chữ ký điện tử hồ sơ công việc
kính gửi trân trọng đồng chí giám đốc phó chủ tịch thường trực họp giao ban tuần này
đảm bảo an toàn thông tin mạng hệ thống thư điện tử công vụ tài khoản mật khẩu đăng nhập
ngân sách dự toán kinh phí thanh quyết toán đầu tư công dự án đường huyện cầu cống""".split()
def sentence(n):
    s = " ".join(rnd.choice(words) for _ in range(n))
    return s[0].upper() + s[1:] + "."
def paragraph():
    return " ".join(sentence(rnd.randint(8, 20)) for _ in range(rnd.randint(3, 8)))
os.makedirs(maildir + "/cur", exist_ok=True)
target, total, text, n, rare = mib * 2**20, 0, 0, 0, 0
host = "bench"
t0 = time.time()
while total < target:
    n += 1
    subject = sentence(rnd.randint(4, 10))[:-1]
    body = "\n\n".join(paragraph() for _ in range(rnd.randint(2, 12)))
    if rare < 3 and n % 997 == 0:
        body += "\n\nĐoàn công tác làm việc tại phường Khánh Hậu."
        rare += 1
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0700", time.gmtime(1700000000 + n * 600))
    head = (f"From: Van thu <vanthu{n % 40}@tiengiang.gov.vn>\nTo: bench@tiengiang.gov.vn\n"
            f"Subject: =?UTF-8?B?{base64.b64encode(subject.encode()).decode()}?=\nDate: {date}\n"
            f"Message-ID: <fts-bench-{n}@tiengiang.gov.vn>\nMIME-Version: 1.0\n")
    if n % every == 0:
        blob = base64.encodebytes(rnd.randbytes(rnd.randint(100_000, 600_000))).decode()
        msg = (head + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
               "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
               + body + "\n--b\nContent-Type: application/pdf; name=\"bao-cao.pdf\"\n"
               "Content-Transfer-Encoding: base64\n\n" + blob + "--b--\n")
    else:
        msg = head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body + "\n"
    data = msg.encode()
    text += len(body.encode())
    name = f"{1700000000 + n}.M{n}P1.{host},S={len(data)}:2,S"
    with open(f"{maildir}/cur/{name}", "wb") as f:
        f.write(data)
    total += len(data)
print(f"{n} {total} {text} {rare} {time.time() - t0:.2f}")
'''

# Runs inside the container: --count messages over LMTP in 4 parallel sessions; prints seconds.
DELIVER = r'''
import concurrent.futures, random, smtplib, sys, time
socket_path, rcpt, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rnd = random.Random(17)
words = "báo cáo công văn kế hoạch Đà Nẵng Tiền Giang đồng chí giao ban chuyển đổi số hồ sơ".split()
def message(i):
    body = "\n".join(" ".join(rnd.choice(words) for _ in range(14)) for _ in range(rnd.randint(20, 120)))
    return (f"From: bench@example.net\r\nTo: {rcpt}\r\nSubject: Thư số {i}\r\n"
            f"Message-ID: <lmtp-{i}-{time.time()}@example.net>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body.replace("\n", "\r\n") + "\r\n").encode()
msgs = [message(i) for i in range(count)]
def worker(part):
    lmtp = smtplib.LMTP(socket_path)
    for m in part:
        lmtp.sendmail("bench@example.net", [rcpt], m)
    lmtp.quit()
t0 = time.perf_counter()
with concurrent.futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(worker, [msgs[i::4] for i in range(4)]))
print(f"{time.perf_counter() - t0:.3f} {sum(len(m) for m in msgs)}")
'''

# Runs inside the container: times one IMAP UID SEARCH (doveadm exec imap, after SELECT), prints seconds and hits.
SEARCH = r'''
import subprocess, sys, time
user, phrase = sys.argv[1], sys.argv[2]
data = phrase.encode()
imap = subprocess.Popen(["doveadm", "exec", "imap", "-u", user], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def until(tag):
    lines = []
    while True:
        line = imap.stdout.readline()
        lines.append(line)
        if not line or line.startswith(tag + b" "):
            return lines
imap.stdin.write(b"a SELECT INBOX\r\n"); imap.stdin.flush(); until(b"a")
# The client waits for the answer before it logs out (a closed input ends a running search).
t0 = time.perf_counter()
imap.stdin.write(b"b UID SEARCH CHARSET UTF-8 TEXT {" + str(len(data)).encode() + b"+}\r\n" + data + b"\r\n")
imap.stdin.flush()
out = until(b"b")
seconds = time.perf_counter() - t0
imap.stdin.write(b"c LOGOUT\r\n"); imap.stdin.close(); imap.wait()
hits = [l for l in out if l.startswith(b"* SEARCH")]
print(f"{seconds:.4f} {len(hits[0].split()) - 2 if hits else -1} {int(out[-1].startswith(b'b OK'))}")
'''


FTS_CONF = "/etc/dovecot/conf.d/11-fts.conf"
# 11-fts.conf as roles/dovecot writes it with dovecot_fts_enabled: false.
FTS_OFF = "# Full-text search is off (dovecot_fts_enabled: false): SEARCH reads the mail.\n"


class ExistingContainer(benchlib.Container):
    """A container someone else started and converged; never removed here."""

    def __init__(self, name: str) -> None:  # pylint: disable=super-init-not-called
        self.name = name


def home(container: benchlib.Container, user: str) -> str:
    return container.sh(f"doveadm user -f home {user}").strip()


def quota_kib(container: benchlib.Container, user: str) -> int:
    for line in container.sh(f"doveadm -f tab quota get -u {user}").splitlines()[1:]:
        fields = line.split("\t")
        if fields[1] == "STORAGE":
            return int(fields[2])
    return -1


def timed(container: benchlib.Container, argv: list[str]) -> float:
    """Seconds one command takes inside the container."""
    return float(container.sh(f"python3 -c 'import subprocess, sys, time; t = time.perf_counter(); "
                              f"subprocess.run(sys.argv[1:], check=True); print(time.perf_counter() - t)' "
                              + " ".join(argv)))


def du(container: benchlib.Container, path: str) -> int:
    out = container.sh(f"du -sb {path} 2>/dev/null | cut -f1", check=False).strip()
    return int(out) if out else 0


def searches(container: benchlib.Container, user: str, repeat: int, phrases: dict[str, str]) -> dict[str, Any]:
    container.sh("cat > /root/fts-search.py", stdin=SEARCH)
    rows = {}
    for label, phrase in phrases.items():
        runs = []
        for _ in range(repeat):
            seconds, hits, ok = container.sh(f"python3 /root/fts-search.py {user} '{phrase}'").split()
            runs.append((float(seconds), int(hits), ok == "1"))
        rows[label] = {"phrase": phrase, "hits": runs[0][1], "ok": all(r[2] for r in runs),
                       "first_s": round(runs[0][0], 3),
                       "median_s": round(statistics.median(r[0] for r in runs), 3)}
        print(f"  SEARCH TEXT {phrase!r}: {rows[label]['hits']} hits, first {rows[label]['first_s']} s, "
              f"median {rows[label]['median_s']} s", flush=True)
    return rows


def delivery(container: benchlib.Container, user: str, count: int) -> dict[str, Any]:
    container.sh("cat > /root/fts-deliver.py", stdin=DELIVER)
    socket_path = "/var/spool/postfix/private/dovecot-lmtp"
    out = container.sh(f"python3 /root/fts-deliver.py {socket_path} {user} {count}").split()
    lmtp_s, size = float(out[0]), int(out[1])
    # Delivered and searchable: a user's search right after the burst. With indexing on, the IMAP
    # process hands the missing messages to Dovecot's indexer and waits (never `doveadm index` beside
    # the indexer: two Lucene writers on one mailbox break its index, docs/search.md). Every subject
    # says "Thư số": the search must find every message delivered.
    container.sh("cat > /root/fts-search.py", stdin=SEARCH)
    index_s_text, hits, ok = container.sh(f"python3 /root/fts-search.py {user} 'Thư số'").split()
    index_s = float(index_s_text)
    if ok != "1" or int(hits) != count:
        raise SystemExit(f"{user}: the search after delivery found {hits} of {count} (ok={ok})")
    total = lmtp_s + index_s
    return {"messages": count, "bytes": size, "lmtp_seconds": round(lmtp_s, 2),
            "index_catch_up_seconds": round(index_s, 2), "seconds": round(total, 2),
            "messages_per_s": round(count / total, 1),
            "index_bytes": du(container, f"{home(container, user)}/Maildir/lucene-indexes")}


def measure(args: argparse.Namespace, info: dict[str, Any], container: benchlib.Container,
            fts_off: Callable[[], Any]) -> None:
    """Fill, index, search, deliver with indexing on; fts_off(); search and deliver again; write fts.json."""
    users = json.loads(container.sh("/usr/local/sbin/vmail-accounts list-addresses"))
    # Three active people of the lab's personnel file no other step writes to.
    full, on_user, off_user = (users[k] for k in ("0298", "0299", "0300"))
    maildir = f"{home(container, full)}/Maildir"
    for user in (full, on_user, off_user):  # empty, whatever an earlier run left
        container.sh(f"doveadm kick {user} >/dev/null 2>&1; rm -rf {home(container, user)}/Maildir")

    container.sh("cat > /tmp/fts-fill.py", stdin=FILL)
    container.sh(f"doveadm mailbox status -u {full} messages INBOX >/dev/null")  # creates the Maildir
    out = container.sh(f"runuser -u vmail -- python3 /tmp/fts-fill.py {maildir} {args.mib} "
                       f"{args.attachment_every}").split()
    messages, mail_bytes, text_bytes, rare, fill_s = int(out[0]), int(out[1]), int(out[2]), int(out[3]), out[4]
    print(f"filled {full}: {messages} messages, {mail_bytes / 2**20:.1f} MiB "
          f"({text_bytes / 2**20:.1f} MiB of text) in {fill_s} s", flush=True)
    container.sh(f"doveadm force-resync -u {full} INBOX && doveadm quota recalc -u {full}")
    quota_before = quota_kib(container, full)
    index_s = timed(container, ["doveadm", "index", "-u", full, "INBOX"])
    index_bytes = du(container, f"{maildir}/lucene-indexes")
    dovecot_index_bytes = sum(int(v) for v in container.sh(
        f"find {maildir} -maxdepth 1 -name 'dovecot*' -type f -printf '%s\\n'").split())
    container.sh(f"doveadm quota recalc -u {full}")
    quota_after = quota_kib(container, full)
    print(f"indexed in {index_s:.1f} s ({mail_bytes / 2**20 / index_s:.1f} MiB/s); Lucene index "
          f"{index_bytes / 2**20:.1f} MiB = {index_bytes / mail_bytes * 100:.1f} % of the mail "
          f"({index_bytes / text_bytes * 100:.1f} % of its text); quota {quota_before} KiB before "
          f"indexing, {quota_after} KiB after", flush=True)
    print("full-text search ON:", flush=True)
    search_on = searches(container, full, args.repeat, QUERIES)
    on = delivery(container, on_user, args.deliver)
    print(f"delivery, indexing ON: {on['messages_per_s']} msg/s ({on['lmtp_seconds']} s LMTP + "
          f"{on['index_catch_up_seconds']} s until indexed)", flush=True)

    fts_off()
    print("full-text search OFF (Dovecot reads the messages; with diacritics, since it no longer folds them):",
          flush=True)
    search_off = searches(container, full, args.repeat, {"common": "báo cáo", "rare": "khánh hậu",
                                                         "absent": "xylophone"})
    off = delivery(container, off_user, args.deliver)
    print(f"delivery, indexing OFF: {off['messages_per_s']} msg/s", flush=True)
    ratio = round(off["messages_per_s"] / on["messages_per_s"], 2) if on["messages_per_s"] else None
    print(f"delivery ratio off/on: {ratio}")
    benchlib.write_result("fts", {
        "machine": info, "container": container.name,
        "mailbox": {"messages": messages, "mail_bytes": mail_bytes, "text_bytes": text_bytes,
                    "attachment_every": args.attachment_every, "rare_phrase_messages": rare,
                    "fill_seconds": float(fill_s)},
        "index": {"build_seconds": round(index_s, 2),
                  "mib_per_s": round(mail_bytes / 2**20 / index_s, 2),
                  "lucene_bytes": index_bytes,
                  "lucene_per_mib_of_mail_kib": round(index_bytes / (mail_bytes / 2**20) / 1024, 1),
                  "lucene_percent_of_mail": round(index_bytes / mail_bytes * 100, 2),
                  "lucene_percent_of_text": round(index_bytes / text_bytes * 100, 2),
                  "dovecot_index_bytes": dovecot_index_bytes,
                  "quota_kib_before_index": quota_before, "quota_kib_after_index": quota_after,
                  "index_counted_in_quota": quota_after != quota_before},
        "search_fts_on": search_on, "search_fts_off": search_off,
        "delivery_indexing_on": on, "delivery_indexing_off": off,
        "delivery_ratio_off_over_on": ratio,
        "measured": textwrap.dedent("""\
            search: UID SEARCH CHARSET UTF-8 TEXT over doveadm exec imap in the container, median of
            runs; delivery: LMTP over Postfix's unix socket, 4 sessions, then one IMAP search finding them all
            (delivered and searchable; with indexing on it waits for the indexer); fill: Maildir files written directly, then doveadm index""").replace("\n", " ")})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=480, help="mail to put in the full mailbox")
    parser.add_argument("--attachment-every", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deliver", type=int, default=400)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the container at the end; reuse an existing one without converging again")
    parser.add_argument("--container",
                        help="measure on this already converged container (e.g. a Molecule scenario's) instead of "
                             "converging vmail-bench-fts; indexing is then turned off by writing 11-fts.conf as "
                             "the role writes it with dovecot_fts_enabled: false, and restored at the end; "
                             "the mailboxes of 0298, 0299 and 0300 are emptied first")
    args = parser.parse_args(argv)
    info = benchlib.machine()
    benchlib.print_machine(info)
    if args.container:
        container = ExistingContainer(args.container)
        original = container.sh(f"cat {FTS_CONF}")

        def fts_off() -> None:
            container.sh(f"cat > {FTS_CONF} && doveadm reload", stdin=FTS_OFF)

        try:
            measure(args, info, container, fts_off)
        finally:
            container.sh(f"cat > {FTS_CONF} && doveadm reload", stdin=original)
        return 0
    existed = args.reuse and benchlib.container_exists("vmail-bench-fts")
    with benchlib.Container("vmail-bench-fts", FQDN, reuse=args.reuse, host_number=30) as container:
        inventory = benchlib.LabInventory(container, FQDN, keep=args.reuse)
        try:
            if not existed:
                # An image built before dovecot-lucene was baked in has no apt lists to install it from.
                container.sh("dpkg -s dovecot-lucene >/dev/null 2>&1 || apt-get update -q >/dev/null")
                shutil.copy(benchlib.REPO / "inventories" / "lab" / "personnel.yml", inventory.dir / "personnel.yml")
                converge = inventory.playbook("site.yml")
                print(f"converged site.yml (full-text search on) in {converge['seconds']:.0f} s", flush=True)
            else:
                inventory.playbook("site.yml", "--tags", "accounts,mailstore")
            measure(args, info, container, lambda: inventory.playbook(
                "site.yml", "--tags", "accounts,mailstore", "-e", '{"dovecot_fts_enabled": false}'))
        finally:
            inventory.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

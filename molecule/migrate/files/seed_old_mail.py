#!/usr/bin/env python3
"""Seed the old server's maildirs fast: Dovecot creates each folder (so it encodes the
Vietnamese names itself), then the messages are written as maildir files with their flags in the
file name and their INTERNALDATE as the file's mtime, as a long-running server holds them.

    seed_old_mail.py old-users.json    (files/old-users.yml as JSON); deterministic

A user entry may ask for attachments (bench/migrate.py): every `attachment_every`-th message
carries a base64 attachment of `attachment_kib` KiB, as official letters with a scanned PDF do.
"""
import base64
import email.utils
import json
import os
import pwd
import random
import subprocess
import sys
from email.header import Header

with open(sys.argv[1], encoding="utf-8") as spec:
    SPEC = json.load(spec)
OWNER = pwd.getpwnam("oldmail")
START = 1451606400  # 2016-01-01, when the province's mail began
rnd = random.Random(51)
BODY = ("Kính gửi các đơn vị,\nSở Thông tin và Truyền thông đề nghị các đơn vị triển khai "
        "thư điện tử công vụ theo Quyết định 51/2016/QĐ-UBND.\nTrân trọng.\n")


def doveadm(*args):
    return subprocess.run(["doveadm", *args], check=True, capture_output=True, text=True).stdout.strip()


def flags_for(folder, n):
    if folder == "Drafts":
        return "DS"
    flags = ""
    if n % 7 == 0:
        flags += "F"
    if n % 5 == 0:
        flags += "R"
    if n % 10 < 7:
        flags += "S"
    return "".join(sorted(flags))


total = 0
for user, entry in SPEC.items():
    home = f"/srv/oldmail/{user}"
    subprocess.run(["install", "-d", "-o", "oldmail", "-g", "oldmail", home], check=True)
    # Dovecot (running as the mail owner) creates the folders first; files are written after.
    paths = {}
    for folder in entry["folders"]:
        if folder != "INBOX":
            doveadm("mailbox", "create", "-u", user, folder)
        paths[folder] = doveadm("mailbox", "path", "-u", user, folder)
    for folder_index, (folder, count) in enumerate(entry["folders"].items()):
        cur = os.path.join(paths[folder], "cur")
        os.makedirs(cur, exist_ok=True)
        for n in range(count):
            when = START + rnd.randrange(0, 10 * 365 * 86400)
            subject = Header(f"Công văn số {n + 1}/{folder_index} về việc triển khai", "utf-8").encode()
            text = BODY * rnd.randint(1, 20)
            every, kib = entry.get("attachment_every", 0), entry.get("attachment_kib", 0)
            if every and n % every == 0:
                text += "\n" + base64.encodebytes(rnd.randbytes(kib * 1024)).decode()
            raw = (f"Date: {email.utils.formatdate(when, localtime=False)}\r\n"
                   f"From: =?utf-8?b?U+G7nyBUVFRU?= <vanthu@oldmail.tiengiang.gov.vn>\r\n"
                   f"To: {user}@oldmail.tiengiang.gov.vn\r\n"
                   f"Subject: {subject}\r\n"
                   f"Message-ID: <old-{user}-{folder_index}-{n}@oldmail.tiengiang.gov.vn>\r\n"
                   "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: 8bit\r\n\r\n" + text.replace("\n", "\r\n")).encode()
            name = os.path.join(cur, f"{when}.M{n}P{folder_index}.oldmail,S={len(raw)}:2,{flags_for(folder, n)}")
            with open(name, "wb") as handle:
                handle.write(raw)
            os.utime(name, (when, when))
            total += 1
    subprocess.run(["chown", "-R", f"{OWNER.pw_uid}:{OWNER.pw_gid}", home], check=True)
# prepare.yml seeds once (creates: this file).
with open("/srv/oldmail/.seeded", "w", encoding="utf-8") as marker:
    marker.write(f"{total}\n")
print(json.dumps({"messages": total}))

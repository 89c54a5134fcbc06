#!/usr/bin/env python3
"""What clamd's CPU per message is spent on: the whole message against its attachment alone.

Rspamd's antivirus module, as the platform configures it (`rspamd_antivirus_scan_mime_parts:
false`, docs/scaling.md "Filtering: where the time goes"), streams the whole message to clamd,
which scans the raw message, decodes the MIME itself and scans every part again. With
`scan_mime_parts = true` Rspamd would stream only the parts it picks, decoded. This bench puts a
number on the difference, with nothing else running beside clamd: one lab container with the
clamav role (bench/clamd-scan.yml: the platform's clamd.conf, the local test signature), and in
it, for the messages of bench/mailpath.py (a 100 KB and a 2 MB attachment), clamd's INSTREAM
(what Rspamd uses) fed alternately the whole message and its decoded attachment. Every copy
differs (a sequence number in each part, as in mailpath), so clamd's cache of clean files never
answers (each way gets its own copies: the attachment clamd decoded from a whole message is
cached too). Measured: clamd's CPU (its /proc stat) and the wall time per scan. The EICAR zip of
mailpath must be found both ways.

    .venv/bin/python bench/clamd_scan.py [--copies 20] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import benchlib  # bench/ is the script's own directory, first on sys.path
import mailpath  # noqa: E402  pylint: disable=wrong-import-position

# Runs in the container: the template's copies, whole and attachment alone, through clamd's
# INSTREAM on the socket clamd.conf names; clamd's CPU and the wall time per scan, per way.
SCANNER = r"""
import base64, email, json, os, socket, struct, sys, time
path, marker, copies = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
sock_path = next(line.split()[1] for line in open("/etc/clamav/clamd.conf") if line.startswith("LocalSocket "))
pid = int(os.popen("pidof clamd").read().split()[0])
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def scan(data):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock_path)
        s.sendall(b"zINSTREAM\0")
        for i in range(0, len(data), 65536):
            chunk = data[i:i + 65536]
            s.sendall(struct.pack("!I", len(chunk)) + chunk)
        s.sendall(struct.pack("!I", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            reply += s.recv(4096)
    return reply.rstrip(b"\0").decode()
def attachment(raw):
    parts = [p for p in email.message_from_bytes(raw).walk() if p.get_filename()]
    return parts[0].get_payload(decode=True)
template = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
out = {"whole": {"cpu": 0.0, "wall": 0.0, "bytes": 0, "replies": set()},
       "attachment": {"cpu": 0.0, "wall": 0.0, "bytes": 0, "replies": set()}}
seq = int(time.time() * 1000)
def copy(n):
    return template.replace(marker, base64.b64encode(b"So: %07d\n" % (n % 10**7)))
for i in range(copies):
    # Each way its own copies: clamd caches the digest of every clean file it scanned, the
    # attachment it decoded from a whole message included.
    for way, data in (("whole", copy(seq + 2 * i)), ("attachment", attachment(copy(seq + 2 * i + 1)))):
        c, t = cpu(), time.perf_counter()
        reply = scan(data)
        out[way]["wall"] += time.perf_counter() - t
        out[way]["cpu"] += cpu() - c
        out[way]["bytes"] = len(data)
        out[way]["replies"].add(reply)
print(json.dumps({way: {"cpu_ms_per_scan": round(v["cpu"] * 1000 / copies, 1),
                        "wall_ms_per_scan": round(v["wall"] * 1000 / copies, 1),
                        "bytes": v["bytes"], "replies": sorted(v["replies"])} for way, v in out.items()}))
"""

MIXES = (("100KB", 100), ("2MB", 2048))


def main(argv: list[str] | None = None) -> int:
    """Converge clamd, scan each mix both ways, print, write bench/results/clamd-scan.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of each message, each scanned both ways")
    parser.add_argument("--reuse", action="store_true", help="keep the container; reuse it without converging")
    args = parser.parse_args(argv)
    info = benchlib.machine()
    benchlib.print_machine(info)
    existed = args.reuse and benchlib.container_exists("vmail-bench-clamd")
    result: dict[str, object] = {"machine": info, "copies": args.copies}
    with benchlib.Container("vmail-bench-clamd", mailpath.FQDN, reuse=args.reuse) as box:
        inventory = benchlib.LabInventory(box, mailpath.FQDN, keep=args.reuse)
        try:
            if not existed:
                result["converge_seconds"] = inventory.playbook("bench/clamd-scan.yml")["seconds"]
            box.sh("cat > /root/scanner.py", stdin=SCANNER)
            mixes: dict[str, object] = {}
            for label, kib in MIXES:
                box.sh(f"cat > /root/{label}.eml", stdin=mailpath.message(kib))
                mixes[label] = scanned = json.loads(box.sh(
                    f"python3 /root/scanner.py /root/{label}.eml {mailpath.SEQ_PART.decode()} {args.copies}"))
                whole, part = scanned["whole"], scanned["attachment"]
                print(f"{label}: whole message {whole['bytes']} bytes {whole['cpu_ms_per_scan']} ms CPU "
                      f"({whole['wall_ms_per_scan']} ms wall) per scan; attachment alone {part['bytes']} bytes "
                      f"{part['cpu_ms_per_scan']} ms CPU ({part['wall_ms_per_scan']} ms wall); replies "
                      f"{whole['replies']} / {part['replies']}", flush=True)
            # The test virus both ways: the whole message and the zip alone must be found.
            box.sh("cat > /root/eicar.eml", stdin=mailpath.message(0, mailpath.eicar_zip(2048), "bao-cao.zip"))
            eicar = json.loads(box.sh(f"python3 /root/scanner.py /root/eicar.eml {mailpath.SEQ_PART.decode()} 1"))
            found = {way: v["replies"] for way, v in eicar.items()}
            print(f"EICAR in a 2 MB zip: {found}", flush=True)
            if not all(any("FOUND" in r for r in replies) for replies in found.values()):
                raise RuntimeError(f"clamd missed the EICAR test file: {found}")
            result.update(mixes=mixes, eicar_in_2mb_zip=found,
                          loadavg_at_end=[round(v, 2) for v in os.getloadavg()],
                          clamd=box.sh("clamd --version").strip(),
                          measured="clamd INSTREAM in the container, whole message and decoded attachment "
                                   "alternated, unique copies; CPU of the clamd process per scan")
        finally:
            inventory.cleanup()
    benchlib.write_result("clamd-scan", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

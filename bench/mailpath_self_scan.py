#!/usr/bin/env python3
"""Trial of one Rspamd setting on the kept bench containers: the milter proxy scanning itself.

Rspamd's proxy (Postfix's milter) hands each message over HTTP on loopback to a "normal" worker;
with `self_scan` it scans the message itself, one process hop and one copy fewer. This trial
alternates the two on the platform container of `bench/mailpath.py --reuse` (on, off, on, off:
the override file rewritten, Rspamd restarted), sends the 100 KB mix each time from the client
container and records rate and CPU per message. Result: bench/results/throughput-self-scan.json.

    .venv/bin/python bench/mailpath.py --reuse --logins 0 && .venv/bin/python bench/mailpath_self_scan.py
"""

from __future__ import annotations

import os
import sys

import benchlib  # bench/ is the script's own directory, first on sys.path
import mailpath  # noqa: E402  pylint: disable=wrong-import-position

SELF_SCAN = 'upstream "local" {\n  default = yes;\n  self_scan = yes;\n}\ncount = 2;\n'
OVERRIDE = "/etc/rspamd/override.d/worker-proxy.inc"


def main() -> int:
    """Alternate self_scan on/off, 200 messages of the 100 KB mix each; print and write the JSON."""
    info = benchlib.machine()
    benchlib.print_machine(info)
    net = {"network": mailpath.NET, "subnet": mailpath.SUBNET, "reuse": True}
    platform = benchlib.Container("vmail-bench-mail", mailpath.FQDN, host_number=10, **net)
    client = benchlib.Container("vmail-bench-client", "client.example.net", host_number=12, **net)
    rcpts = platform.sh("grep -o 'rcpts: <[^>]*>' /var/log/rspamd/rspamd.log | sort -u | head -4 "
                        "| sed 's/rcpts: <//; s/>//'").split()
    eml = "/root/bench-100KB.eml"
    client.sh(f"cat > {eml}", stdin=mailpath.message(100))
    # The role's file, without any self_scan lines an earlier trial left.
    base = platform.sh(f"grep -v 'self_scan\\|upstream\\|default = yes\\|^}}\\|^count' {OVERRIDE}")
    runs: dict[str, list[dict[str, object]]] = {"self_scan": [], "normal_worker": []}
    for mode in ("self_scan", "normal_worker", "self_scan", "normal_worker"):
        platform.sh(f"cat > {OVERRIDE}", stdin=base + (SELF_SCAN if mode == "self_scan" else ""))
        platform.sh("systemctl restart rspamd; for i in $(seq 60); do (echo > /dev/tcp/127.0.0.1/11332) "
                    "2>/dev/null && break; sleep 0.5; done; sleep 3")
        result = mailpath.throughput(platform, client, rcpts, eml, 200, 10)
        runs[mode].append(result)
        print(f"{mode:>13}: {result['delivered']} delivered, {result['messages_per_s']} msg/s, "
              f"{result['cpu_ms_per_message']} ms CPU per message (load {result['loadavg'][0]})", flush=True)
    platform.sh(f"cat > {OVERRIDE}", stdin=base)
    platform.sh("systemctl restart rspamd")
    benchlib.write_result("throughput-self-scan", {
        "machine": info, "loadavg_at_end": [round(v, 2) for v in os.getloadavg()], "runs": runs,
        "measured": "100 KB mix, 200 messages, 10 sessions, from vmail-bench-client to vmail-bench-mail; "
                    "Rspamd's proxy with self_scan (count 2) and without (the role's setting), alternated"})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a validate: check costs when a file changes (docs/config-checks.md).

Runs each role's check on the server container with the live file as the
candidate (a check that passes), a few times, and writes
bench/results/config-checks.json. A run with nothing to change runs no check.

    .venv/bin/python bench/config_checks.py [CONTAINER]   # default vmail-lab-mail
"""
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CHECK = "/usr/local/sbin/vmail-config-check"
POSTFIX_TREE = ("sh -c 'postconf -c \"$1\" -n >/dev/null && postconf -c \"$1\" -M >/dev/null"
                " && postmap -c \"$1\" -q probe static:ok >/dev/null' sh {tree}")
CHECKS = {
    "postfix main.cf (tree)": f"{CHECK} --tree /etc/postfix --path main.cf /etc/postfix/main.cf -- {POSTFIX_TREE}",
    "postfix sqlite table": (f"{CHECK} --no-warnings --ok-status 0 --ok-status 1 "
                             "/etc/postfix/sqlite-virtual-mailbox-maps.cf -- postmap -q probe@invalid sqlite:{file}"),
    "dovecot conf.d file (tree)": (f"{CHECK} --tree /etc/dovecot --path conf.d/10-auth.conf "
                                   "/etc/dovecot/conf.d/10-auth.conf -- doveconf -n -c {tree}/dovecot.conf"),
    "rspamd local.d file (tree)": (f"{CHECK} --tree /etc/rspamd --path local.d/actions.conf "
                                   "/etc/rspamd/local.d/actions.conf -- rspamadm --var=CONFDIR={tree} "
                                   "--var=LOCAL_CONFDIR={tree} configtest -c {tree}/rspamd.conf"),
    "clamd.conf (tree)": (f"{CHECK} --no-warnings --tree /etc/clamav --path clamd.conf "
                          "/etc/clamav/clamd.conf -- clamconf -c {tree}"),
    "fail2ban jail (tree)": (f"{CHECK} --tree /etc/fail2ban --path jail.d/vmail.local "
                             "/etc/fail2ban/jail.d/vmail.local -- fail2ban-client -c {tree} --test"),
    "nginx -t (handler)": "nginx -t",
}
ROUNDS = 3


def main() -> None:
    container = sys.argv[1] if len(sys.argv) > 1 else "vmail-lab-mail"
    results = {}
    for name, command in CHECKS.items():
        times = []
        for _ in range(ROUNDS):
            start = time.monotonic()
            run = subprocess.run(["podman", "exec", container, "sh", "-c", command],
                                 capture_output=True, text=True, check=False)
            times.append(time.monotonic() - start)
            if run.returncode != 0:
                raise SystemExit(f"{name}: {run.stdout}{run.stderr}")
        results[name] = {"median_s": round(sorted(times)[ROUNDS // 2], 3)}
    load = os.getloadavg()
    out = {
        "machine": {"platform": platform.platform(), "cores": os.cpu_count(),
                    "loadavg_at_end": [round(x, 2) for x in load], "loaded": load[0] > (os.cpu_count() or 1)},
        "what": "one passing check per changed file, podman exec included; a no-op run runs none",
        "checks": results,
    }
    path = Path(__file__).parent / "results" / "config-checks.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

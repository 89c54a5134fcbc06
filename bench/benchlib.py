"""Shared helpers of the benchmarks: the machine they ran on, a throw-away podman lab, results.

Every benchmark prints the machine (CPU model, cores, RAM, load average at start) beside its
figures, because the same code measures very differently on a loaded 2-core box and on a
dedicated server; ratios measured in one run are the robust part.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "bench" / "results"
IMAGE = f"localhost/vmail-debian{os.environ.get('VMAIL_DEBIAN_RELEASE', '13')}:latest"
NETWORK = "vmail-bench-net"
# Bench containers get fixed addresses, so Ansible reaches them over SSH as
# it reaches production hosts (the lab's keys, scripts/lab-secrets.sh).
SUBNET = "10.89.80"
SSH_DIR = REPO / ".secrets" / "lab-ssh"
SSH_MOUNTS = [f"{SSH_DIR}/container:/etc/ssh/vmail-lab:ro",
              f"{REPO}/images/debian/lab-ssh/vmail-lab.conf:/etc/ssh/sshd_config.d/vmail-lab.conf:ro"]
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo ('' where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def ram_gib() -> float:
    """Total RAM in GiB (MemTotal of /proc/meminfo)."""
    for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def machine() -> dict[str, Any]:
    """What the figures were measured on, including how loaded the machine was at start."""
    load1, load5, load15 = os.getloadavg()
    cores = os.cpu_count() or 1
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": cores,
        "ram_gib": ram_gib(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(load1, 2), round(load5, 2), round(load15, 2)],
        "loaded": load1 > 0.5 * cores,
    }


def print_machine(info: dict[str, Any]) -> None:
    """One line for the machine; a warning when it was busy."""
    print(f"machine: {info['cpu']} | {info['cores']} cores | {info['ram_gib']} GiB RAM | {info['platform']}")
    print(f"load average at start: {' '.join(str(v) for v in info['loadavg_at_start'])}"
          + ("  (LOADED machine: absolute figures are pessimistic, compare the ratios)" if info["loaded"] else ""))


def write_result(name: str, result: dict[str, Any]) -> Path:
    """bench/results/<name>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {path.relative_to(REPO)}")
    return path


def run(argv: list[str], check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """subprocess.run with text output captured."""
    return subprocess.run(argv, check=check, text=True, capture_output=True, **kwargs)


def container_exists(name: str) -> bool:
    """Whether podman has a container of that name (a bench run with --reuse left it)."""
    return run(["podman", "container", "exists", name], check=False).returncode == 0


class Container:
    """A lab container (systemd as PID 1, like Molecule's) on the bench network, removed at the end."""

    def __init__(self, name: str, hostname: str, reuse: bool = False, host_number: int = 10,
                 network: str = NETWORK, subnet: str = SUBNET) -> None:
        if not name.startswith("vmail-bench-"):
            raise ValueError("bench containers are named vmail-bench-*")
        self.name = name
        self.hostname = hostname
        # A bench with several containers (mailpath) takes a network of its own.
        self.network = network
        self.subnet = subnet
        self.address = f"{subnet}.{host_number}"
        # Debugging a bench: keep the container at the end, use it again next time.
        self.reuse = reuse

    def __enter__(self) -> "Container":
        if self.reuse and container_exists(self.name):
            return self
        self.start()
        return self

    def start(self) -> None:
        """A new container from the image, booted, its sshd answering."""
        if run(["podman", "network", "exists", self.network], check=False).returncode != 0:
            run(["podman", "network", "create", "--subnet", f"{self.subnet}.0/24", self.network])
        run(["podman", "rm", "-f", "--ignore", self.name])
        mounts = [arg for mount in SSH_MOUNTS for arg in ("-v", mount)]
        run(["podman", "run", "-d", "--name", self.name, "--hostname", self.hostname, "--network", self.network,
             "--ip", self.address, *mounts, "--systemd=always", IMAGE, "/sbin/init"])
        # A connection master left from an earlier container at this address would hang.
        run(["ssh", "-o", "ControlPath=~/.ansible/cp/%C", "-O", "exit", f"root@{self.address}"], check=False)
        for _ in range(60):
            state = run(["podman", "exec", self.name, "systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)

    def __exit__(self, *exc: object) -> None:
        if self.reuse:
            print(f"kept container {self.name} (--reuse); remove it with: podman rm -f {self.name}")
            return
        run(["podman", "rm", "-f", "--ignore", "-t", "2", self.name], check=False)
        users = run(["podman", "ps", "-a", "--filter", f"network={self.network}", "--format", "{{.Names}}"],
                    check=False).stdout.split()
        if not users:
            run(["podman", "network", "rm", "-f", self.network], check=False)

    def sh(self, script: str, check: bool = True, stdin: str | None = None) -> str:
        """Run a shell script in the container; its stdout."""
        proc = subprocess.run(["podman", "exec", "-i", self.name, "bash", "-c", script], input=stdin,
                              text=True, capture_output=True, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{self.name}: {script!r} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout


class LabInventory:
    """A temporary inventory: every tier on one container, the lab's group_vars, our own personnel file."""

    def __init__(self, container: Container, fqdn: str, keep: bool = False) -> None:
        # keep: a fixed directory that outlives the run (registry, personnel), for --reuse.
        self.keep = keep
        if keep:
            self.dir = Path(tempfile.gettempdir()) / f"{container.name}-inventory"
            self.dir.mkdir(exist_ok=True)
        else:
            self.dir = Path(tempfile.mkdtemp(prefix="vmail-bench-"))
        if not (self.dir / "group_vars").exists():
            (self.dir / "group_vars").symlink_to(REPO / "inventories" / "lab" / "group_vars")
        groups = "\n".join(f"    {g}:\n      hosts:\n        mail:" for g in
                           ("mailstore", "accountsdb", "webmail", "monitoring", "backup"))
        # SSH as in the lab (group_vars/all/connection.yml); the keys' directory
        # as a host variable, above the group_vars default beside the lab inventory.
        (self.dir / "hosts.yml").write_text(
            "---\nall:\n  children:\n"
            f"    mx:\n      hosts:\n        mail:\n          ansible_host: {container.address}\n"
            f"          vmail_lab_ssh_dir: {SSH_DIR}\n"
            f"          vmail_fqdn: {fqdn}\n{groups}\n", encoding="utf-8")

    def cleanup(self) -> None:
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def playbook(self, playbook: str, *extra: str, env: dict[str, str] | None = None,
                 keep_output: bool = False) -> dict[str, Any]:
        """Run ansible-playbook on this inventory: seconds, changed/failed from the recap
        (and, with keep_output, its whole standard output under "output")."""
        argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(self.dir / "hosts.yml"),
                "-e", f"vmail_dns_records_file={self.dir}/dns-records.txt", playbook, *extra]
        environ = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "NO_COLOR": "1", **(env or {})}
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=REPO, text=True, capture_output=True, env=environ, check=False)
        seconds = time.perf_counter() - start
        changed = failed = 0
        for line in proc.stdout.splitlines():
            match = RECAP.match(line)
            if match:
                changed += int(match.group(3))
                failed += int(match.group(4)) + int(match.group(5))
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-2000:])
            raise RuntimeError(f"ansible-playbook {playbook} failed (rc {proc.returncode})")
        result: dict[str, Any] = {"seconds": round(seconds, 2), "changed": changed, "failed": failed}
        if keep_output:
            result["output"] = proc.stdout
        return result

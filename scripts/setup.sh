#!/usr/bin/env bash
# Install what the control node needs: Debian packages for the local lab
# (podman, runc, mmdebstrap) and the pinned Python toolchain in .venv/.
# Idempotent and quick on a second run: each step is skipped when its input
# (package list, requirements.txt) is unchanged since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .stamps

# prometheus brings promtool, which tests the alert rules on the control node;
# chromium and its driver run the webmail tests in a real (headless) browser.
apt_packages=(podman runc mmdebstrap uidmap slirp4netns python3-venv make openssl openssh-client prometheus
              chromium chromium-driver)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Podman on this kind of host: crun rejects the hybrid cgroup layout, and the
# default ulimits need CAP_SYS_RESOURCE, which we do not have. One drop-in makes
# every podman call (lab, Molecule, by hand) use runc and limits we may set.
conf=/etc/containers/containers.conf.d/50-vmail-lab.conf
want='[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"'
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n' "$want" > "$conf"
    echo "setup: wrote $conf"
fi

req_hash=$(cat requirements.txt pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat .stamps/venv 2>/dev/null)" != "$req_hash" ] || [ ! -x .venv/bin/ansible-playbook ]; then
    echo "setup: installing the Python toolchain into .venv/"
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/pip install -q -r requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
    # The project's own package (src/vmail), editable: filters, action plugins,
    # tests and benchmarks import it as they find it in the tree.
    .venv/bin/pip install -q -e . 2>&1 | grep -v '^WARNING: Location' || true
    .venv/bin/python -c 'import vmail'
    .venv/bin/ansible-playbook --version >/dev/null
    echo "$req_hash" > .stamps/venv
fi
echo "setup: ok ($(.venv/bin/ansible --version | head -1))"

#!/usr/bin/env bash
# Remove the lab: its container and network. The image, the venv and the lab
# secrets stay (make clean removes those too).
set -euo pipefail
podman rm -f -t 5 vmail-lab-mail >/dev/null 2>&1 || true
podman network rm -f vmail-lab >/dev/null 2>&1 || true
echo "lab removed"

#!/usr/bin/env bash
# Remove the labs: their containers, journal volumes and networks. The image, the venv and the lab
# secrets stay (make clean removes those too).
set -euo pipefail
# Both labs (scripts/lab-up.sh: single and multi).
for container in vmail-lab-mail vmail-lab-mx vmail-lab-store vmail-lab-web vmail-lab-ops; do
    podman rm -f -t 5 "$container" >/dev/null 2>&1 || true
    podman volume rm -f "$container-journal" >/dev/null 2>&1 || true
done
podman network rm -f vmail-lab vmail-lab-multi >/dev/null 2>&1 || true
echo "lab removed"

#!/usr/bin/env bash
# Bring up the whole platform on a local lab: toolchain, image, secrets, a
# podman network and container, then `ansible-playbook site.yml`. Re-running
# converges again (and reuses what exists). Teardown: scripts/lab-down.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
network=vmail-lab
subnet=10.89.60.0/24
address=10.89.60.10
container=vmail-lab-mail
fqdn=mail.tiengiang.gov.vn

scripts/setup.sh
scripts/build-image.sh
scripts/lab-secrets.sh

podman network exists "$network" || podman network create --subnet "$subnet" "$network" >/dev/null
if ! podman container exists "$container"; then
    podman run -d --name "$container" --hostname "$fqdn" \
        --network "$network" --ip "$address" \
        --systemd=always localhost/vmail-debian12:latest /sbin/init >/dev/null
elif [ "$(podman inspect -f '{{.State.Running}}' "$container")" != true ]; then
    podman start "$container" >/dev/null
fi
for _ in $(seq 30); do
    state=$(podman exec "$container" systemctl is-system-running 2>/dev/null || true)
    case "$state" in running|degraded) break ;; esac
    sleep 1
done

.venv/bin/ansible-playbook site.yml "$@"

ca=.secrets/lab-ca/ca.crt
cat <<INFO

The lab platform is up.
  Host:         $container ($fqdn), address $address on podman network $network
  SMTP:         $address:25 (STARTTLS)   submission: $address:587 (STARTTLS), $address:465 (TLS)
  IMAP:         $address:993 (TLS), $address:143 (STARTTLS)   POP3: $address:995   ManageSieve: $address:4190
  Lab CA:       $ca (trust it in your client, or: curl --cacert $ca ...)
  Accounts:     inventories/lab/registry.yml (id -> address), e.g.:
$(grep -E "^'?900[123]" inventories/lab/registry.yml 2>/dev/null | sed 's/^/                /')
  Passwords:    initial passwords per unit, vault-encrypted:
                .venv/bin/ansible-vault view inventories/lab/credentials/stttt-ttcntttt.vault.yml
  DNS records:  reports/dns-records.txt
  Shell:        podman exec -it $container bash
  Teardown:     make lab-down
INFO

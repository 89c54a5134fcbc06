#!/usr/bin/env bash
# Bring up the whole platform on a local lab: toolchain, image, secrets, a
# podman network and its containers, then `ansible-playbook site.yml`.
# Re-running converges again (and reuses what exists). Teardown: scripts/lab-down.sh.
#   VMAIL_LAB=single (default): every tier on one container, inventories/lab.
#   VMAIL_LAB=multi: one container per tier, inventories/lab-multi (accounts
#   in PostgreSQL on the mail store); `make lab-multi`.
set -euo pipefail
cd "$(dirname "$0")/.."
lab=${VMAIL_LAB:-single}
# name, host name and address of each container: as the inventory's hosts.yml
# writes them (ansible_host, vmail_fqdn, vmail_private_address).
case $lab in
    single)
        inventory=inventories/lab network=vmail-lab subnet=10.89.60.0/24
        containers=("vmail-lab-mail mail.tiengiang.gov.vn 10.89.60.10") ;;
    multi)
        inventory=inventories/lab-multi network=vmail-lab-multi subnet=10.89.61.0/24
        containers=("vmail-lab-mx mx1.tiengiang.gov.vn 10.89.61.11"
                    "vmail-lab-store store1.tiengiang.gov.vn 10.89.61.12"
                    "vmail-lab-web mail.tiengiang.gov.vn 10.89.61.14"
                    "vmail-lab-ops ops.tiengiang.gov.vn 10.89.61.15") ;;
    *) echo "lab-up: VMAIL_LAB must be single or multi, not '$lab'" >&2; exit 2 ;;
esac

scripts/setup.sh
scripts/build-image.sh
scripts/lab-secrets.sh

podman network exists "$network" || podman network create --subnet "$subnet" "$network" >/dev/null
ssh_dir=.secrets/lab-ssh
for spec in "${containers[@]}"; do
    read -r container fqdn address <<<"$spec"
    if ! podman container exists "$container"; then
        # sshd takes the lab host key and Ansible's key from .secrets/lab-ssh
        # (images/debian/lab-ssh/vmail-lab.conf). The journal lives on a
        # volume: podman's systemd mode would put a tmpfs there, and a restart
        # would lose the lines the daily counters and the lifecycle job read.
        # NET_ADMIN in the container's own network namespace: fail2ban's
        # nftables bans work there and change nothing on this machine.
        podman run -d --name "$container" --hostname "$fqdn" \
            --network "$network" --ip "$address" --cap-add=NET_ADMIN \
            -v "$PWD/$ssh_dir/container:/etc/ssh/vmail-lab:ro" \
            -v "$PWD/images/debian/lab-ssh/vmail-lab.conf:/etc/ssh/sshd_config.d/vmail-lab.conf:ro" \
            -v "$container-journal:/var/log/journal" \
            --systemd=always "localhost/vmail-debian${VMAIL_DEBIAN_RELEASE:-13}:latest" /sbin/init >/dev/null
        # A connection master left from an earlier container at this address
        # would hang: close it.
        ssh -o ControlPath="$HOME/.ansible/cp/%C" -O exit "root@$address" >/dev/null 2>&1 || true
    elif [ "$(podman inspect -f '{{.State.Running}}' "$container")" != true ]; then
        podman start "$container" >/dev/null
    fi
done
# Wait until each container's sshd lets Ansible in, as a production host would.
for spec in "${containers[@]}"; do
    read -r container _ address <<<"$spec"
    up=false
    for _ in $(seq 60); do
        if ssh -i "$ssh_dir/id_ed25519" -o UserKnownHostsFile="$ssh_dir/known_hosts" -o StrictHostKeyChecking=yes \
               -o BatchMode=yes -o ConnectTimeout=2 -o ControlMaster=no -o ControlPath=none \
               "root@$address" true 2>/dev/null; then
            up=true; break
        fi
        sleep 1
    done
    if [ "$up" != true ]; then
        echo "lab-up: container $container: no SSH at root@$address:22 after 60 s" \
             "(podman logs $container; podman exec $container systemctl status ssh;" \
             "a container made before the lab used SSH lacks the keys: make lab-down, then make lab)" >&2
        exit 1
    fi
done

.venv/bin/ansible-playbook -i "$inventory/hosts.yml" site.yml "$@"

at() {  # the address of container $1
    local spec c f a
    for spec in "${containers[@]}"; do
        read -r c f a <<<"$spec"
        if [ "$c" = "$1" ]; then echo "$a"; fi
    done
}
ca=.secrets/lab-ca/ca.crt
if [ "$lab" = single ]; then
    mx=$(at vmail-lab-mail) store=$mx web=$mx ops_container=vmail-lab-mail
    hosts="vmail-lab-mail (mail.tiengiang.gov.vn), address $mx"
else
    mx=$(at vmail-lab-mx) store=$(at vmail-lab-store) web=$(at vmail-lab-web) ops_container=vmail-lab-ops
    hosts="vmail-lab-mx $mx (mx), vmail-lab-store $store (mailstore, accountsdb),
                vmail-lab-web $web (webmail), vmail-lab-ops $(at vmail-lab-ops) (monitoring, backup)"
fi
cat <<INFO

The lab platform is up ($lab).
  Hosts:        $hosts
                on podman network $network
  SMTP:         $mx:25 (STARTTLS)   submission: $mx:587 (STARTTLS), $mx:465 (TLS)
  IMAP:         $store:993 (TLS), $store:143 (STARTTLS)   POP3: $store:995   ManageSieve: $store:4190
  Webmail:      https://mail.tiengiang.gov.vn/ at $web
                (curl --cacert $ca --resolve mail.tiengiang.gov.vn:443:$web https://mail.tiengiang.gov.vn/)
  Monitoring:   Prometheus 127.0.0.1:9090, Alertmanager 127.0.0.1:9093 inside $ops_container
                (loopback only, as in production: podman exec -it $ops_container bash)
  Lab CA:       $ca (trust it in your client, or: curl --cacert $ca ...)
  Accounts:     $inventory/registry.yml (id -> address), e.g.:
$(grep -E "^'?900[123]" "$inventory/registry.yml" 2>/dev/null | sed 's/^/                /')
  Passwords:    initial passwords per unit, vault-encrypted:
                .venv/bin/ansible-vault view $inventory/credentials/stttt-ttcntttt.vault.yml
  DNS records:  reports/dns-records.txt
  Shell:        podman exec -it ${containers[0]%% *} bash
                (or as Ansible reaches it: ssh -i $ssh_dir/id_ed25519 -o UserKnownHostsFile=$ssh_dir/known_hosts root@$mx)
  Re-converge:  .venv/bin/ansible-playbook -i $inventory/hosts.yml site.yml
  Teardown:     make lab-down
INFO

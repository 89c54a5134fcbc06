#!/usr/bin/env bash
# Build the lab's Debian systemd image with mmdebstrap and import it into
# podman as localhost/vmail-debian<release>. The release is the one argument
# (or VMAIL_DEBIAN_RELEASE): 13 (trixie, the default) or 12 (bookworm). The tag
# is a hash of the recipe, so the image is rebuilt only when the recipe (this
# script, packages.txt, packages-<release>.txt, debconf.txt) changes.
set -euo pipefail
cd "$(dirname "$0")/.."
release=${1:-${VMAIL_DEBIAN_RELEASE:-13}}
# php-fpm's unit carries PHP's version, which each release moves.
case "$release" in
    12) codename=bookworm php_fpm=php8.2-fpm ;;
    13) codename=trixie php_fpm=php8.4-fpm ;;
    *) echo "build-image.sh: Debian release '$release' is not one the roles are written for (12 or 13)" >&2; exit 2 ;;
esac
recipe_dir=images/debian
image=localhost/vmail-debian$release
tag=$(cat scripts/build-image.sh "$recipe_dir/packages.txt" "$recipe_dir/packages-$release.txt" "$recipe_dir/debconf.txt" | sha256sum | cut -c1-12)

if podman image exists "$image:$tag"; then
    podman tag "$image:$tag" "$image:latest"
    echo "image $image:$tag is up to date"
    exit 0
fi

packages=$(cat "$recipe_dir/packages.txt" "$recipe_dir/packages-$release.txt" | grep -v '^\s*#' | grep -v '^\s*$' | paste -sd, -)
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
# Services stay off in the image: each role enables what its tier runs, as it
# must on a real host anyway, and idle daemons would slow every container.
services="postfix dovecot rspamd redis-server clamav-daemon fail2ban nftables nginx $php_fpm postgresql prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postfix-exporter prometheus-blackbox-exporter"
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

echo "building $image:$tag (mirror $mirror); this takes a few minutes once"
mmdebstrap --variant=apt --include="$packages" \
    --essential-hook="cp $recipe_dir/debconf.txt \"\$1/tmp/debconf.txt\"; chroot \"\$1\" debconf-set-selections /tmp/debconf.txt" \
    --customize-hook='chroot "$1" systemctl mask clamav-freshclam.service getty@tty1.service serial-getty@.service console-getty.service systemd-logind.service' \
    --customize-hook="chroot \"\$1\" systemctl disable $services" \
    --customize-hook='rm -f "$1/etc/hostname" "$1/etc/machine-id"; touch "$1/etc/machine-id"' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; mkdir -p "$1/etc/systemd/system/ssh.service.d"; printf "[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n" > "$1/etc/systemd/system/ssh.service.d/host-keys.conf"' \
    "$codename" "$workdir/rootfs.tar" \
    "deb $mirror $codename main" \
    "deb $mirror $codename-updates main" \
    "deb ${mirror%/debian}/debian-security $codename-security main"

podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'ENV container=podman' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    "$workdir/rootfs.tar" "$image:$tag"
podman tag "$image:$tag" "$image:latest"
echo "built $image:$tag"

#!/usr/bin/env bash
# Writes a Node.js base image root file system as a tar (for `berth import`): a minimal Debian 12 made with
# debootstrap plus Debian's nodejs and npm. The result is cached (default /var/cache/berth-bases/node-base.tar)
# because debootstrap takes minutes; delete the file to remake it.
# Usage: make-node-base.sh [OUTPUT.tar]
set -euo pipefail
out=${1:-/var/cache/berth-bases/node-base.tar}
if [ -s "$out" ]; then echo "$out"; exit 0; fi
export DEBIAN_FRONTEND=noninteractive
command -v debootstrap >/dev/null || apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
mkdir -p "$(dirname "$out")"
work=$(mktemp -d /var/tmp/node-base.XXXXXX)
trap 'umount -R "$work/rootfs/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "== debootstrap bookworm (minbase) into $work/rootfs, then apt-get install nodejs npm" >&2
root="$work/rootfs"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# Installing nodejs/npm through debootstrap's --include fails in its configure pass (npm's dependency order);
# apt inside the new root orders it correctly.
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" apt-get update -qq >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log" >&2; exit 1; }
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm ca-certificates >>"$work/apt.log" 2>&1 \
  || { tail -20 "$work/apt.log" >&2; exit 1; }
# Certificate authorities this host was told to trust (/usr/local/share/ca-certificates, e.g. a TLS-inspecting
# egress proxy) go into the base image too, so `RUN npm install` reaches the registry from here as the host does.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >>"$work/apt.log" 2>&1
fi
umount "$root/proc"
# An image does not carry apt's downloaded archives, caches or the host's resolver settings.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log "$root"/tmp/* "$root"/root/.npm
: > "$root/etc/resolv.conf"; : > "$root/etc/hostname"
# /dev stays empty, as in every image: the runtime mounts its own (and imports refuse device nodes).
tar --sort=name --numeric-owner --xattrs --exclude="./dev/*" --exclude="./proc/*" --exclude="./sys/*" -C "$root" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "$out"

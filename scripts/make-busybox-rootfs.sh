#!/usr/bin/env bash
# Writes a busybox root file system as a tar (for `berth import`): /bin/busybox from Debian's
# busybox-static, a symlink per applet, /etc/passwd and /etc/group, and the usual empty directories.
# Usage: make-busybox-rootfs.sh OUTPUT.tar
set -euo pipefail
out=${1:?usage: make-busybox-rootfs.sh OUTPUT.tar}
busybox=/bin/busybox   # Debian's busybox-static: one static binary, so it runs in an otherwise empty image
[ -x "$busybox" ] || { echo "busybox-static is not installed (scripts/install-deps.sh installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{bin,sbin,etc,tmp,root,home,var/www,usr/bin,usr/sbin,proc,sys,dev}
chmod 1777 "$root/tmp"; chmod 700 "$root/root"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
www-data:x:33:
app:x:1000:
staff:x:50:app
nogroup:x:65534:
GROUP
mkdir -p "$root/home/app" && chown 1000:1000 "$root/home/app"
# Fixed times and sorted names: the same input gives the same tar, so the image ID is stable.
tar --sort=name --mtime='2024-01-01 00:00:00Z' --numeric-owner --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$root" -cf "$out" .

#!/bin/sh
# Installs what Berth's runtime layer runs: runc (default runtime), crun, conmon (per-container monitor) and
# busybox-static (rootfs for the runtime tests). Idempotent: does nothing when all are present; runs
# `apt-get update` only when something has to be installed. Debian/Ubuntu, as root.
set -eu

missing=""
need() { # need PACKAGE COMMAND
    if ! command -v "$2" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$2" ] && [ ! -x "/usr/bin/$2" ]; then
        missing="$missing $1"
    fi
}
need runc runc
need crun crun
need conmon conmon
need busybox-static busybox

if [ -z "$missing" ]; then
    echo "runtime dependencies present: runc crun conmon busybox"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "missing:$missing; run this script as root" >&2
    exit 1
fi

echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing

#!/usr/bin/env bash
# Installs what Berth and its tests need on Debian 12, only what is missing. Idempotent; run as root.
set -euo pipefail
# clang: the linker driver of the Native AOT publish of the berth binary; libsqlite3-dev: the SQLite linked into it.
packages=(runc crun conmon busybox-static skopeo umoci docker-registry apache2-utils tmux curl ca-certificates iproute2 procps clang libsqlite3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "dotnet SDK 10 is required (apt-get install dotnet-sdk-10.0 from Microsoft's feed)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs Debian's Docker engine (docker.io) for comparison tests and benchmarks, only if missing.
set -euo pipefail
if ! dpkg-query -W -f='${Status}' docker.io 2>/dev/null | grep -q "install ok installed"; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi
# Debian's package would start its own daemon under systemd; the tests start a private one instead.

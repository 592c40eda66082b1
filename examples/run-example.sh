#!/usr/bin/env bash
# The bundled example (run by scripts/main.sh after Berth is installed):
#  1. base images made locally: busybox (from Debian's busybox-static) and node-base (debootstrap + nodejs/npm, cached)
#  2. examples/static-site: build, run with a published port, fetch the page, history, rebuild from the cache
#  3. examples/node-app: the classic Node layout (npm install in a RUN step), run it, fetch its answer
# Set BERTH_EXAMPLE_SKIP_NODE=1 to skip the Node part (its base image takes minutes to make the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
cleanup() {
  berth rm -f berth-example-site berth-example-node >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fetch() { # retries while the server starts
  for _ in $(seq 1 50); do curl -fs "$1" && return 0; sleep 0.2; done
  echo "no answer from $1" >&2; return 1
}
step() { echo; echo "== $*"; }

step "base image: busybox"
bash scripts/make-busybox-rootfs.sh "$work/busybox.tar"
berth import -c 'CMD ["sh"]' -m "busybox from Debian's busybox-static" "$work/busybox.tar" busybox:latest

step "berth build -t static-site examples/static-site"
berth build -t static-site examples/static-site
site_port=$(free_port)
step "berth run -d -p $site_port:80 static-site   (published on 127.0.0.1 only)"
berth run -d --name berth-example-site -p "$site_port:80" static-site
berth ps
fetch "http://127.0.0.1:$site_port/"
step "berth history static-site"
berth history static-site
step "rebuild after editing the page: the steps before its COPY come from the cache"
cp -r examples/static-site "$work/static-site"
echo "<p>edited $(date -u +%FT%TZ)</p>" >> "$work/static-site/index.html"
berth build -t static-site "$work/static-site"
berth rm -f berth-example-site

if [ "${BERTH_EXAMPLE_SKIP_NODE:-0}" != 1 ]; then
  step "base image: node-base (debootstrap + Debian's nodejs/npm; cached after the first run)"
  node_tar=$(bash scripts/make-node-base.sh)
  berth import -c 'CMD ["node"]' -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' "$node_tar" node-base:latest
  step "berth build -t node-app examples/node-app"
  berth build -t node-app examples/node-app
  node_port=$(free_port)
  berth run -d --name berth-example-node -p "$node_port:3000" node-app
  fetch "http://127.0.0.1:$node_port/"
  berth logs berth-example-node
  berth rm -f berth-example-node
fi

step "berth images"
berth images
step "berth system df"
berth system df

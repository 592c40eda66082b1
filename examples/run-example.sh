#!/usr/bin/env bash
# The bundled example: make a busybox base image with `berth import`, then look at it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/make-busybox-rootfs.sh "$work/busybox.tar"
set -x
berth import -c 'CMD ["sh"]' -m "busybox from Debian's busybox-static" "$work/busybox.tar" berth-example/busybox:latest
berth images
berth history berth-example/busybox
berth image inspect --format '{{.Id}} {{.Os}}/{{.Architecture}} {{json .Config.Cmd}}' berth-example/busybox
berth tag berth-example/busybox berth-example/busybox:v1
berth save -o "$work/busybox-saved.tar" berth-example/busybox:v1
berth rmi berth-example/busybox:v1
berth load -i "$work/busybox-saved.tar"
berth images berth-example/busybox

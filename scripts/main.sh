#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine (as root): install what is missing, build Berth, put `berth`
# on PATH, and run the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "== building Berth"
# Native AOT (PublishAot in Berth.Cli.csproj): every berth command is a new process, and a native one starts in ~10 ms.
dotnet publish src/Berth.Cli/Berth.Cli.csproj -c Release -r linux-x64 -o /opt/berth --nologo -v quiet
ln -sf /opt/berth/berth /usr/local/bin/berth
echo "== berth is $(command -v berth)"
bash examples/run-example.sh

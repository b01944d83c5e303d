#!/usr/bin/env bash
# Brings a fresh clone to a runnable state, doing only what is missing:
#   1. npm ci             when node_modules is absent or older than package-lock.json
#   2. a WebGPU adapter   scripts/ensure-webgpu.sh installs Mesa's CPU Vulkan driver where no adapter exists
#   3. the build          turbo builds every package (cached when nothing changed)
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "bootstrap: Node.js >= $need_node_major is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

stamp=node_modules/.enas-lock-stamp
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "bootstrap: installing dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

bash scripts/ensure-webgpu.sh >&2

echo "bootstrap: building packages" >&2
npx turbo run build --output-logs=errors-only >&2

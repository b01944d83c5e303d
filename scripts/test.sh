#!/usr/bin/env bash
# The test command (README, CI): lint and format check, type checks, then every package's tests on the WebGPU
# adapter this machine has (Mesa lavapipe on a machine without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Only the tests need a browser (the browser-parity test of wgsl-kernels and the viewer's end-to-end tests), so
# bootstrap does not install it.
bash scripts/ensure-chromium.sh >&2
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

echo "== lint and format (biome)"
npx biome check .
echo "== type check (tsc)"
npx turbo run typecheck --output-logs=errors-only
echo "== tests (vitest)"
# One package at a time: each runs its own workers, and the machine may have only two cores.
npx turbo run test --concurrency=1

#!/usr/bin/env bash
# The one prepared device check for a lent GPU machine (shared/gpu/README.md: Node, dawn.node and the Vulkan loader
# travel in .gpu/; nothing else is there). Device time is scarce, so everything is built and bundled here first.
#
#   bash scripts/gpu-check.sh prepare     here: npm ci + build, ../shared/gpu/prepare.sh, bundles into .gpu/app/,
#                                         then prints the exact command for the device tool
#   bash .gpu/enter.sh bash .gpu/app/gpu-check.sh run
#                                         there (carry [".gpu"]): adapter info, the kernel table, the search-step
#                                         table, a one-epoch tiny search; results in $OUT (about 8 minutes at most)
#
# `run` also works here (OUT=/tmp/x bash .gpu/app/gpu-check.sh run) to try the script on the CPU adapter first.
set -euo pipefail

case "${1:-}" in
prepare)
  cd "$(dirname "$0")/.."
  bash scripts/bootstrap.sh
  bash "${GPU_PREPARE:-../shared/gpu/prepare.sh}"
  # CommonJS dependencies bundled into ESM still call require() for Node built-ins: give them one.
  banner="import { createRequire as __enasRequire } from 'node:module'; const require = __enasRequire(import.meta.url);"
  bundle() {
    npx esbuild "$1" --bundle --platform=node --format=esm --external:webgpu --log-level=warning --banner:js="$banner" --outfile="$2"
  }
  bundle packages/wgsl-kernels/bench/main.ts .gpu/app/bench.mjs
  bundle packages/cli/bench/main.ts .gpu/app/search-bench.mjs
  bundle packages/cli/src/main.ts .gpu/app/enas.mjs
  # The CLI bundle carries the built-in MNIST digits (30 MB as JavaScript); compressed it travels in about 3.
  xz -T2 -6 -f .gpu/app/enas.mjs
  cp scripts/gpu-check.sh .gpu/app/gpu-check.sh
  commit=$(git rev-parse --short HEAD)
  [ -z "$(git status --porcelain --untracked-files=no)" ] || commit="$commit+uncommitted"
  echo "$commit" > .gpu/app/COMMIT
  echo "gpu-check: .gpu/ is $(du -sh .gpu | cut -f1). Now the device tool's run, carrying [\".gpu\"], timeout_s 540:"
  echo "  bash .gpu/enter.sh bash .gpu/app/gpu-check.sh run"
  ;;
run)
  app=$(cd "$(dirname "$0")" && pwd)
  out=${OUT:?run: set OUT to the directory the results go to}
  export BENCH_COMMIT=${BENCH_COMMIT:-$(cat "$app/COMMIT" 2>/dev/null || echo unknown)}
  [ -f "$app/enas.mjs" ] || xz -dc "$app/enas.mjs.xz" > "$app/enas.mjs"
  # Each part has its own time limit so one slow part cannot eat the others' device time; failures are recorded,
  # not fatal. Stderr of all parts goes to one file: at most 8 files come back from the device.
  part() {
    local name=$1 limit=$2
    shift 2
    echo "== $name ($(date -u +%H:%M:%S), limit ${limit}s)"
    echo "== $name" >> "$out/stderr.log"
    if timeout "$limit" "$@" > "$out/$name.md" 2>> "$out/stderr.log"; then echo "   ok"; else echo "   FAILED ($?)"; fi
    tail -n 40 "$out/$name.md"
  }
  part info 60 node "$app/enas.mjs" info
  part kernels 240 node "$app/bench.mjs" --json "$out/kernels.json"
  part search-step 150 node "$app/search-bench.mjs" --json "$out/search-step.json"
  part search-smoke 90 node "$app/enas.mjs" search --preset tiny --epochs 1 --out "$(mktemp -d)/run"
  ;;
*)
  echo "usage: bash scripts/gpu-check.sh prepare | run" >&2
  exit 2
  ;;
esac

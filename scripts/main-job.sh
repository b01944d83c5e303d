#!/usr/bin/env bash
# The main job on its embedded default (README): bootstraps, then runs a short ENAS micro search on the built-in
# MNIST digits (the `tiny` preset: a few minutes on a 2-core CPU), prints the best architecture and draws it.
# Extra arguments go to `enas search` (e.g. --epochs 2, or --data DIR --preset paper-micro on a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
out="runs/search-$(date +%Y%m%d-%H%M%S)"
node packages/cli/dist/main.js search --preset tiny --out "$out" "$@"
echo "picture of the best architecture: $out/best_arc.svg"

#!/usr/bin/env bash
# The main job on its embedded default (README): bootstraps, then runs the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
node packages/cli/dist/main.js smoke "$@"

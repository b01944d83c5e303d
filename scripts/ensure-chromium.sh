#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed, for the browser tests: the browser-parity test of packages/wgsl-kernels
# (the same WGSL kernels in a browser page and in Node must agree) and the viewer's end-to-end tests. Only the test
# command needs it; the main job does not, so scripts/bootstrap.sh does not call this.
#
# The test drives /usr/bin/chromium through playwright-core: no browser download is involved (Playwright's own
# browser builds cannot be fetched on machines without general network access). Chromium runs WebGPU on
# SwiftShader, its CPU Vulkan driver, given --enable-unsafe-webgpu (see the test).
#
# Idempotent: does nothing when /usr/bin/chromium exists. Usage: bash scripts/ensure-chromium.sh [--check]
#   --check  only report whether Chromium is installed (exit 1 when not), install nothing.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "${1:-}" = "--check" ]; then echo "ensure-chromium: $CHROMIUM is not installed" >&2; exit 1; fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "ensure-chromium: installing Chromium needs root (or sudo): $*" >&2
  echo "ensure-chromium: install it yourself ('apt-get install chromium' on Debian/Ubuntu) so that $CHROMIUM exists" >&2
  exit 1; fi; }

if ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: $CHROMIUM is missing and this is not a Debian/Ubuntu system: install Chromium so that" \
       "$CHROMIUM exists (or link it there); the browser-parity test of packages/wgsl-kernels needs it" >&2
  exit 1
fi

echo "ensure-chromium: installing Debian's chromium (for the browser-parity test)" >&2
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null

if [ -x "$CHROMIUM" ]; then exit 0; fi
echo "ensure-chromium: apt-get installed 'chromium' but $CHROMIUM is still missing" >&2
exit 1

#!/usr/bin/env bash
# Makes sure Node can get a WebGPU adapter through Dawn (npm `webgpu`).
#
# Dawn on Linux needs a Vulkan driver. A machine with a GPU driver already has one; a machine without a GPU gets
# Mesa's CPU driver, lavapipe. Dawn rejects lavapipe before Mesa 23 ("shaderUniform*ArrayDynamicIndexing
# required"), so on Debian bookworm (Mesa 22.3) it comes from bookworm-backports; newer Debian/Ubuntu ship a recent
# enough Mesa themselves.
#
# Idempotent: when an adapter already works it does nothing. Usage: bash scripts/ensure-webgpu.sh [--check]
#   --check  only report whether an adapter is found (exit 1 when not), install nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

probe() {
  # Prints the adapter description and exits 0 when Dawn finds an adapter.
  [ -d node_modules/webgpu ] || return 1
  XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} node scripts/probe-adapter.mjs 2>/dev/null
}

if probe; then exit 0; fi
if [ "${1:-}" = "--check" ]; then echo "ensure-webgpu: no WebGPU adapter found" >&2; exit 1; fi

if [ ! -d node_modules/webgpu ]; then
  echo "ensure-webgpu: node_modules/webgpu is missing; run 'npm ci' first" >&2
  exit 1
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "ensure-webgpu: installing the Vulkan driver needs root (or sudo): $*" >&2; exit 1; fi; }

if ! command -v apt-get >/dev/null; then
  echo "ensure-webgpu: no WebGPU adapter, and this is not a Debian/Ubuntu system: install a Vulkan driver" \
       "(your GPU vendor's, or Mesa's lavapipe >= 23 for the CPU) and the Vulkan loader (libvulkan1)" >&2
  exit 1
fi

. /etc/os-release
echo "ensure-webgpu: no WebGPU adapter found; installing Mesa's CPU Vulkan driver (lavapipe) on ${PRETTY_NAME:-this system}" >&2
export DEBIAN_FRONTEND=noninteractive
if [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ]; then
  as_root tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
else
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers >/dev/null
fi
as_root apt-get install -y -qq --no-install-recommends libvulkan1 >/dev/null

if probe; then exit 0; fi
echo "ensure-webgpu: lavapipe was installed but Dawn still finds no adapter; 'vulkaninfo' (package vulkan-tools) shows why" >&2
exit 1

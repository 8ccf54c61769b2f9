#!/usr/bin/env bash
# Debian packages the tests need beyond npm: Chromium (headless browser tests, and its SwiftShader Vulkan
# driver, on which the WebGPU tests run without a GPU), the Vulkan loader that Dawn (the npm package
# `webgpu`) opens, and redis-server (the trainer's distributed-study tests start their own). Installs only
# what is missing; needs root (CI runs as root).
set -euo pipefail
missing=()
[ -e /usr/lib/chromium/vk_swiftshader_icd.json ] || missing+=(chromium)
ldconfig -p | grep -q 'libvulkan\.so\.1 ' || missing+=(libvulkan1)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: chromium, libvulkan1 and redis-server present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "system packages missing: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
echo "installing ${missing[*]} (apt-get)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Runs the WebGPU training bench on a GPU machine that has no Node.js and no network, from the folder
# that `node packages/backend/tools/build-device-bundle.mjs` builds (.device/, carried by the device tool):
#   device run, carry ['.device'], command: bash scripts/device-bench.sh
# Writes train-webgpu.json (and the log) to $OUT, or to .device/bench-results without it.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.device
out="${OUT:-$dir/bench-results}"
mkdir -p "$out"
exec > >(tee "$out/device-bench.log") 2>&1

# The Vulkan loader, unless the machine has one; then the NVIDIA driver's manifest where the loader
# does not find it by itself.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1 '; then
  for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" /; done
  ldconfig
fi
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -e /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] &&
  ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
node=/tmp/bot-node
[ -x "$node" ] || { xz -dc "$dir/node.xz" > "$node" && chmod +x "$node"; }
dawn="$dir/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -e "$dawn" ] || xz -dc "$dawn.xz" > "$dawn"

echo "node $("$node" --version); $(nvidia-smi -L 2>/dev/null || echo 'no nvidia-smi'); python3: $(python3 -c 'import torch; print(torch.__version__, torch.cuda.is_available())' 2>&1)"
BENCH_OUT="$out" "$node" "$dir/bench/webgpu.mjs"

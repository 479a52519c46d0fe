#!/usr/bin/env bash
# On a machine with a real GPU: build (when the toolchain is there), check parity with the CPU
# reference on that GPU, and time COBA, the LIF scaling series up to 1M neurons and the
# Potjans-Diesmann microcircuit (bench/gpu.ts). Works on a bare GPU machine with what
# bench/gpu-bundle.sh prepared (.gpu/, .gl/, dist/); on a machine with Node and npm it needs nothing.
# Writes the report to stdout and, when $OUT is set, to $OUT/gpu-bench.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null 2>&1; then
  mkdir -p /tmp/flux-node/bin
  xz -dc .gpu/node.xz >/tmp/flux-node/bin/node && chmod +x /tmp/flux-node/bin/node
  export PATH=/tmp/flux-node/bin:$PATH
fi
[ -e node_modules ] || tar -xJf .gpu/node_modules.tar.xz
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nv=/usr/local/nvidia/share
[ -f $nv/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$nv/vulkan/icd.d/nvidia_icd.json}
[ -f $nv/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-$nv/glvnd/egl_vendor.d/10_nvidia.json}
if [ -x node_modules/.bin/tsc ]; then npm run build >/dev/null; fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/gpu: /'
node --version | sed 's/^/node: /'
FLUX_GPU_BENCH=${FLUX_GPU_BENCH:-full} node --max-old-space-size=16384 dist/bench/gpu.js 2>&1 | tee "${OUT:-/tmp}/gpu-bench.txt"
# Where the dev dependencies are installed (not in gpu-bundle.sh's production bundle): the parity
# suite on this GPU, where resident stepping must equal the per-step dispatches exactly too (the
# bench above checks COBA's spikes either way). FLUX_GPU_PARITY=0 skips it; its result is reported,
# not fatal: the timings above stand.
if [ "${FLUX_GPU_PARITY:-1}" != 0 ] && [ -x node_modules/.bin/vitest ]; then
  CI=true node_modules/.bin/vitest run tests/parity.test.ts tests/webgpu.test.ts 2>&1 | tail -40 | tee "${OUT:-/tmp}/gpu-parity.txt" || true
fi

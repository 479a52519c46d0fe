#!/usr/bin/env bash
# Prepares, on this (development) machine, what bench/gpu-machine.sh needs on a GPU machine that has
# no Node.js and no package registry: a compressed Node binary, the production node_modules (Dawn for
# linux-x64 only), the built dist/, and the Vulkan/EGL loader packages. Everything goes to ignored
# folders: .gpu/ (Node, node_modules), .gl/ (loader .debs) and dist/. With the `device` tool:
#   run(command: "bash bench/gpu-machine.sh", carry: [".gpu", ".gl", "dist"], timeout_s: 600)
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qxF '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>.git/info/exclude
grep -qxF '/.gl/' .git/info/exclude 2>/dev/null || echo '/.gl/' >>.git/info/exclude
npm run build >/dev/null
rm -rf .gpu .gpu-stage && mkdir -p .gpu .gpu-stage/node_modules
xz -T2 -6 -c "$(readlink -f "$(command -v node)")" >.gpu/node.xz
# Production dependencies only, with their own dependencies.
npm ls --omit=dev --all --parseable | tail -n +2 | while read -r dir; do
  rel=${dir#"$PWD/node_modules/"}
  mkdir -p ".gpu-stage/node_modules/$(dirname "$rel")"
  cp -r "$dir" ".gpu-stage/node_modules/$rel"
done
# Dawn ships a binary per platform; the GPU machines are linux x86-64.
find .gpu-stage/node_modules/webgpu/dist -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
# Compressed: the device tool carries at most 64 MiB, and uncompressed Dawn + Node alone come near it.
tar -C .gpu-stage -cf - node_modules | xz -T2 -6 >.gpu/node_modules.tar.xz
rm -rf .gpu-stage
if [ ! -d .gl ]; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update >/dev/null && (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
fi
du -sh .gpu .gl dist | sed 's/^/bundle: /'

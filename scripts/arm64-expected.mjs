// Checks `edgerun infer --json` lines (from the arm64 run in scripts/test-arm64.sh) against ../shared/EXPECTED.md:
// classifiers by top-1 label and score floor, SSD by its four reference boxes (each edge within 5 px, score within
// 0.05, boxes clamped to the 1200x600 image as in test/tasks/expected.test.ts). Usage: node arm64-expected.mjs FILE.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const classify = [
  ['mobilenet_v1_0.25_128_quant.tflite', 'bird.bmp', 20, 'chickadee', 0.4],
  ['mobilenet_v1_0.25_128_quant.tflite', 'parrot.jpg', 89, 'macaw', 0.7],
  ['mobilenet_v2_1.0_224_quant.tflite', 'cat.bmp', 286, 'Egyptian cat', 0.6],
  ['mobilenet_v2_1.0_224_quant.tflite', 'bird.bmp', 20, 'chickadee', 0.9],
  ['mobilenet_v2_1.0_224_quant.tflite', 'parrot.jpg', 89, 'macaw', 0.9],
  ['mobilenet_v2_1.0_224_quant.tflite', 'grace_hopper.bmp', 653, 'military uniform', 0.8],
];
const ssd = {
  model: 'ssd_mobilenet_v1_coco_quant_postprocess.tflite',
  input: 'cats_and_dogs.jpg',
  size: { w: 1200, h: 600 },
  objects: [
    { x: 54, y: 396, w: 393, h: 196, id: 16, label: 'cat', score: 0.64 },
    { x: 602, y: 157, w: 394, h: 447, id: 16, label: 'cat', score: 0.61 },
    { x: 260, y: 394, w: 180, h: 209, id: 16, label: 'cat', score: 0.56 },
    { x: 389, y: 197, w: 278, h: 409, id: 17, label: 'dog', score: 0.5 },
  ],
};

const file = process.argv[2];
if (!file) {
  console.error('usage: node arm64-expected.mjs RESULTS.jsonl');
  process.exit(2);
}
const results = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('{'))
  .map((l) => JSON.parse(l));
const find = (model, input) => results.find((r) => path.basename(r.model) === model && path.basename(r.input) === input);

const failures = [];
const check = (ok, line) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`);
  if (!ok) failures.push(line);
};

for (const [model, input, id, label, floor] of classify) {
  const r = find(model, input);
  const top = r?.classes?.[0];
  const got = top ? `${top.id} ${top.label} ${top.score.toFixed(3)} on ${r.engine}` : (r?.error ?? 'no result');
  check(!!top && top.id === id && top.label === label && top.score >= floor, `${model} ${input}: want ${id} ${label} >= ${floor}, got ${got}`);
}

const r = find(ssd.model, ssd.input);
const objects = r?.objects ?? [];
ssd.objects.forEach((e, i) => {
  const o = objects[i];
  if (!o) return check(false, `${ssd.model} ${ssd.input} #${i + 1}: missing (${r?.error ?? `${objects.length} objects`})`);
  const edges = [o.box.x, o.box.y, o.box.x + o.box.w, o.box.y + o.box.h];
  const want = [e.x, e.y, Math.min(e.x + e.w, ssd.size.w), Math.min(e.y + e.h, ssd.size.h)];
  const worst = Math.max(...edges.map((v, k) => Math.abs(v - want[k])));
  const box = `${Math.round(o.box.x)},${Math.round(o.box.y)} ${Math.round(o.box.w)}x${Math.round(o.box.h)}`;
  check(
    o.id === e.id && o.label === e.label && Math.abs(o.score - e.score) <= 0.05 && worst <= 5,
    `${ssd.model} ${ssd.input} #${i + 1}: want ${e.id} ${e.label} ${e.score} at ${e.x},${e.y} ${e.w}x${e.h}; got ${o.id} ${o.label} ${o.score.toFixed(3)} at ${box} (worst edge ${worst.toFixed(1)} px)`,
  );
});

if (failures.length > 0) {
  console.error(`${failures.length} expectation(s) failed`);
  process.exit(1);
}
console.log('all expectations met');

// Label-zip bombs: a real classifier from ../shared with a zip appended whose label file inflates far past its
// size. The limit is counted while inflating (a lying size field gains nothing), the refusal names the limit, and
// the real CLI refusing such a model stays within a peak-RSS bound on every CPU engine (a board has 1 GB).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_EMBEDDED_FILE_BYTES, MAX_LABELS, readEmbeddedLabels } from '../../src/delegates/tflite/tflite-embedded-files.js';
import { ModelLoadError } from '../../src/errors.js';
import { inspectModelBytes } from '../../src/inference/inspect-model.js';
import { runTsWithPeakRss } from '../helpers/peak-rss.js';
import { repoRoot, sharedMedia, sharedModel } from '../helpers/paths.js';
import { modelWithZipBomb } from '../helpers/zip-bomb.js';
import { tempDir } from '../runtime/daemon-harness.js';

const CLASSIFIER = sharedModel('mobilenet_v1_0.25_128_quant.tflite');
const LABELS = 'imagenet_labels.txt'; // the name the model's metadata gives its TENSOR_AXIS_LABELS file
const MB = 1024 * 1024;

function refusal(bytes: Uint8Array): ModelLoadError {
  try {
    readEmbeddedLabels(bytes, 'bomb.tflite');
  } catch (err) {
    if (err instanceof ModelLoadError) return err;
    throw err;
  }
  throw new Error('the bomb was read without an error');
}

describe('embedded label files are bounded while inflating', () => {
  it('a label file declaring 64 MB is refused with the limit named, before inflating', () => {
    const err = refusal(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 64 * MB }));
    expect(err.message).toBe(
      `bomb.tflite: embedded file ${LABELS} declares ${64 * MB} bytes, more than edgerun's limit of ${MAX_EMBEDDED_FILE_BYTES} bytes for an embedded file; refusing the model`,
    );
  });

  it('a label file declaring 1 KB that inflates to 64 MB stops at its declared size (counted, not trusted)', () => {
    const err = refusal(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 64 * MB, declaredBytes: 1000 }));
    expect(err.message).toBe(`bomb.tflite: broken embedded zip archive: ${LABELS}: inflates to more than the 1000 bytes it declares`);
  });

  it('a label file declaring exactly the limit that inflates past it is refused with the limit named', () => {
    const err = refusal(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 64 * MB, declaredBytes: MAX_EMBEDDED_FILE_BYTES }));
    expect(err.message).toContain(`more than edgerun's limit of ${MAX_EMBEDDED_FILE_BYTES} bytes`);
  });

  it(`a label file within the byte limit but of more than ${MAX_LABELS} lines is refused`, () => {
    const err = refusal(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 3 * MB }));
    expect(err.message).toBe(`bomb.tflite: embedded label file ${LABELS} has more than ${MAX_LABELS} lines, edgerun's limit for a label map; refusing the model`);
  });

  it('a label file just under both limits is read', () => {
    const labels = readEmbeddedLabels(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 2 * 90_000, line: 'x\n' }));
    expect(labels).toHaveLength(90_000);
  });

  it('inspect (the reader of imports and swaps) refuses the bomb; a lying small size is a damaged zip (no labels)', () => {
    expect(() => inspectModelBytes(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 64 * MB }), 'x.tflite')).toThrow(
      `x.tflite: embedded file ${LABELS} declares ${64 * MB} bytes, more than edgerun's limit of ${MAX_EMBEDDED_FILE_BYTES} bytes for an embedded file; refusing the model`,
    );
    expect(inspectModelBytes(modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 64 * MB, declaredBytes: 4000 }), 'x.tflite').metadata?.labels).toBe(0);
  });
});

describe('edgerun infer on a label-zip bomb: refused, peak RSS bounded (child processes)', () => {
  const dir = tempDir('edgerun-zip-bomb-');
  const honest = path.join(dir, 'honest-size.tflite');
  const lying = path.join(dir, 'lying-size.tflite');
  writeFileSync(honest, modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 63 * MB }));
  writeFileSync(lying, modelWithZipBomb(CLASSIFIER, { name: LABELS, inflatedBytes: 63 * MB, declaredBytes: MAX_EMBEDDED_FILE_BYTES }));

  // Before the limit the same bombs peaked at 1,416 MB (builtin/XNNPACK); the plain model peaks near 230 MB.
  it.each([
    ['honest-size.tflite', 'xnnpack'],
    ['lying-size.tflite', 'builtin'],
    ['lying-size.tflite', 'wasm'],
  ])('%s on the %s engine: exit 1, the limit named, peak RSS ≤ 300 MB', async (file, variant) => {
    const r = await runTsWithPeakRss(
      path.join(repoRoot, 'src/cli/main.ts'),
      ['infer', '--model', path.join(dir, file), '--cpu-variant', variant, '--state-dir', path.join(dir, `state-${variant}`), sharedMedia('cat.bmp')],
      { env: { XDG_CACHE_HOME: path.join(dir, 'cache') } },
    );
    expect(r.signal).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`more than edgerun's limit of ${MAX_EMBEDDED_FILE_BYTES} bytes for an embedded file; refusing the model`);
    expect(r.peakRssMb).toBeLessThanOrEqual(300);
  }, 60_000);
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, InputShapeError, UsageError } from '../../src/errors.js';
import { decodeBmp } from '../../src/image/bmp.js';
import { decodeImage } from '../../src/image/decode.js';
import { IMAGENET_NORMALIZE, inputGeometry, toInputSpec } from '../../src/image/input-spec.js';
import { resizeBilinearRgb } from '../../src/image/bilinear.js';
import { jpegShrinkFactor, prepareImage } from '../../src/image/prepare.js';
import { preprocessImage } from '../../src/image/preprocess.js';
import { inputToSource } from '../../src/image/resize.js';
import type { InputSpec, RawImage, ResizeMode } from '../../src/image/types.js';
import { referenceBilinearRgb } from './reference-bilinear.js';

const media = (name: string): string => path.resolve(import.meta.dirname, '../../../shared/media', name);
const file = (name: string): Buffer => readFileSync(media(name));

const MOBILENET_U8: InputSpec = { shape: [1, 224, 224, 3], dtype: 'uint8', quantization: { scale: 0.0078125, zeroPoint: 128 } };
const YOLO_I8: InputSpec = { shape: [1, 640, 640, 3], dtype: 'int8', quantization: { scale: 1 / 255, zeroPoint: -128 } };

function raw(width: number, height: number, bytes: number[]): RawImage {
  return { data: Buffer.from(bytes), width, height, channels: 3 };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** sharp's own resize of decoded pixels: what 'area' ('linear' kernel) and 'nearest' must reproduce. */
async function sharpResize(img: RawImage, w: number, h: number, kernel: 'linear' | 'nearest' | 'lanczos3'): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel })
    .raw()
    .toBuffer();
}

describe('preprocessImage: exact small cases', () => {
  const img2x2 = raw(2, 2, [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);

  it('nearest 2x2 -> 4x4 duplicates each pixel into a 2x2 block (uint8, no quantization: raw bytes)', async () => {
    const spec: InputSpec = { shape: [1, 4, 4, 3], dtype: 'uint8', quantization: { scale: 0, zeroPoint: 0 } };
    const { tensor, transform } = await preprocessImage(img2x2, spec, { resize: 'nearest' });
    expect(tensor).toBeInstanceOf(Uint8Array);
    const px = (x: number, y: number): number[] => [...tensor.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
    const src = (i: number): number[] => [...img2x2.data.subarray(i * 3, i * 3 + 3)];
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expect(px(x, y)).toEqual(src((y >> 1) * 2 + (x >> 1)));
    expect(transform).toEqual({ scaleX: 2, scaleY: 2, padX: 0, padY: 0, srcWidth: 2, srcHeight: 2, inputWidth: 4, inputHeight: 4 });
  });

  it('NCHW float32 with per-channel mean/std (no resize): exact values, planes in R, G, B order', async () => {
    const spec: InputSpec = {
      shape: [1, 3, 2, 2],
      dtype: 'float32',
      quantization: { scale: 0, zeroPoint: 0 },
      normalize: { mean: [10, 20, 30], std: [2, 4, 5] },
    };
    const { tensor } = await preprocessImage(img2x2, spec);
    expect(tensor).toBeInstanceOf(Float32Array);
    const want: number[] = [];
    for (let c = 0; c < 3; c++) for (let i = 0; i < 4; i++) want.push((img2x2.data[i * 3 + c]! - [10, 20, 30][c]!) / [2, 4, 5][c]!);
    expect([...tensor]).toEqual(want.map(Math.fround));
  });

  it('letterbox a 4x2 image into 4x4: rows 1-2 hold the pixels, rows 0 and 3 are padding', async () => {
    const pixels = Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 10);
    const spec: InputSpec = { shape: [1, 4, 4, 3], dtype: 'int8', quantization: { scale: 1 / 255, zeroPoint: -128 } };
    const { tensor, transform } = await preprocessImage(raw(4, 2, pixels), spec, { resize: 'letterbox' });
    expect(tensor).toBeInstanceOf(Int8Array);
    expect([...tensor.subarray(0, 12)]).toEqual(Array(12).fill(114 - 128));
    expect([...tensor.subarray(12, 36)]).toEqual(pixels.map((p) => p - 128));
    expect([...tensor.subarray(36)]).toEqual(Array(12).fill(114 - 128));
    expect(transform).toMatchObject({ scaleX: 1, scaleY: 1, padX: 0, padY: 1 });
  });

  it('letterbox a 2x4 image into 4x4: columns 1-2 hold the pixels (int8 bytes and float NCHW)', async () => {
    const pixels = Array.from({ length: 2 * 4 * 3 }, (_, i) => 255 - i * 7);
    const img = raw(2, 4, pixels);
    const i8: InputSpec = { shape: [1, 4, 4, 3], dtype: 'int8', quantization: { scale: 1 / 255, zeroPoint: -128 } };
    const a = await preprocessImage(img, i8, { resize: 'letterbox', padValue: 20 });
    expect(a.transform).toMatchObject({ padX: 1, padY: 0, scaleX: 1, scaleY: 1 });
    const f32: InputSpec = { shape: [1, 3, 4, 4], dtype: 'float32', quantization: { scale: 0, zeroPoint: 0 }, normalize: { mean: [0], std: [1] } };
    const b = await preprocessImage(img, f32, { resize: 'letterbox', padValue: 20 });
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 3; c++) {
          const p = x === 1 || x === 2 ? pixels[(y * 2 + x - 1) * 3 + c]! : 20;
          expect(a.tensor[(y * 4 + x) * 3 + c]).toBe(p - 128);
          expect(b.tensor[c * 16 + y * 4 + x]).toBe(p);
        }
      }
    }
  });

  it('letterbox padValue 0 in float [-1, 1]', async () => {
    const spec: InputSpec = { shape: [1, 4, 4, 3], dtype: 'float32', quantization: { scale: 0, zeroPoint: 0 }, normalize: 'signed' };
    const { tensor } = await preprocessImage(raw(4, 2, Array(24).fill(255)), spec, { resize: 'letterbox', padValue: 0 });
    expect([...tensor.subarray(0, 12)]).toEqual(Array(12).fill(-1));
    expect([...tensor.subarray(12, 36)]).toEqual(Array(24).fill(1));
  });

  it('grayscale uses BT.601 luma', async () => {
    const spec: InputSpec = { shape: [1, 1, 3, 1], dtype: 'uint8', quantization: { scale: 0, zeroPoint: 0 } };
    const { tensor } = await preprocessImage(raw(3, 1, [255, 0, 0, 0, 255, 0, 100, 100, 100]), spec);
    expect([...tensor]).toEqual([Math.round(0.299 * 255), Math.round(0.587 * 255), 100]);
  });
});

describe('quantization rules', () => {
  const ramp = raw(256, 1, Array.from({ length: 256 * 3 }, (_, i) => Math.floor(i / 3)));
  const specOf = (dtype: InputSpec['dtype'], scale: number, zeroPoint: number, normalize?: InputSpec['normalize']): InputSpec => ({
    shape: [1, 1, 256, 3],
    dtype,
    quantization: { scale, zeroPoint },
    ...(normalize === undefined ? {} : { normalize }),
  });
  const channel0 = (t: ArrayLike<number>): number[] => Array.from({ length: 256 }, (_, p) => t[p * 3]!);
  const pixels = Array.from({ length: 256 }, (_, p) => p);

  it('uint8 MobileNet (scale 1/128, zp 128) gets the raw pixel bytes, like pycoral set_input', async () => {
    expect(channel0((await preprocessImage(ramp, specOf('uint8', 0.0078125, 128))).tensor)).toEqual(pixels);
  });
  it('uint8 with scale 1/255 zp 0 also gets raw bytes', async () => {
    expect(channel0((await preprocessImage(ramp, specOf('uint8', 1 / 255, 0))).tensor)).toEqual(pixels);
  });
  it('int8 YOLOv8 (scale 1/255, zp -128) gets pixel - 128', async () => {
    expect(channel0((await preprocessImage(ramp, specOf('int8', 1 / 255, -128))).tensor)).toEqual(pixels.map((p) => p - 128));
  });
  it('explicit normalize is quantized: q = round(real / scale + zp), clamped', async () => {
    // real = p / 255, scale 1/128 zp 0 -> q = p * 128 / 255, at most 128 -> clamped to 127 for int8.
    const { tensor } = await preprocessImage(ramp, specOf('int8', 1 / 128, 0, 'unit'));
    expect(channel0(tensor)).toEqual(pixels.map((p) => Math.min(127, Math.round((p * 128) / 255))));
    // Matching pycoral's "no preprocessing needed" case (mean 128, std 128 with scale 1/128, zp 128) is the identity.
    const same = await preprocessImage(ramp, specOf('uint8', 1 / 128, 128, { mean: [128], std: [128] }));
    expect(channel0(same.tensor)).toEqual(pixels);
  });
  it('float32 defaults to [0, 1]; "signed" gives [-1, 1]', async () => {
    const unit = await preprocessImage(ramp, specOf('float32', 0, 0));
    expect(channel0(unit.tensor)).toEqual(pixels.map((p) => Math.fround(p / 255)));
    const signed = await preprocessImage(ramp, specOf('float32', 0, 0, 'signed'));
    expect(channel0(signed.tensor)).toEqual(pixels.map((p) => Math.fround(p / 127.5 - 1)));
  });
});

describe('preprocessImage on real images', () => {
  it('uint8 NHWC 224 from cat.bmp: raw bytes of the 2-tap bilinear resize (the default)', async () => {
    const img = decodeBmp(file('cat.bmp'), 'cat.bmp');
    const { tensor, transform } = await preprocessImage(img, MOBILENET_U8);
    expect(tensor).toBeInstanceOf(Uint8Array);
    expect(tensor.length).toBe(224 * 224 * 3);
    expect(maxDiff(tensor, referenceBilinearRgb(img.data, img.width, img.height, 224, 224))).toBeLessThanOrEqual(1);
    expect(transform).toMatchObject({ scaleX: 224 / 512, scaleY: 224 / 341, padX: 0, padY: 0, srcWidth: 512, srcHeight: 341 });
    expect(inputToSource(transform, 224, 224)).toEqual({ x: 512, y: 341 });
  });

  it("'area' is sharp's antialiased resize (lanczos3); it differs from bilinear on a shrink", async () => {
    const img = decodeBmp(file('cat.bmp'), 'cat.bmp');
    const area = await preprocessImage(img, MOBILENET_U8, { resize: 'area' });
    const bilinear = await preprocessImage(img, MOBILENET_U8);
    expect(Buffer.from(area.tensor).equals(await sharpResize(img, 224, 224, 'lanczos3'))).toBe(true);
    expect(area.transform).toEqual(bilinear.transform);
    expect(maxDiff(area.tensor, bilinear.tensor)).toBeGreaterThan(10);
  });

  it('an unknown resize mode is a UsageError listing the modes', async () => {
    const err = await preprocessImage(decodeBmp(file('cat.bmp'), 'cat.bmp'), MOBILENET_U8, { resize: 'cubic' as ResizeMode }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('resize mode "cubic"; expected bilinear, nearest, letterbox or area');
  });

  it('int8 640 letterbox of cat_720p.jpg: grey bars above and below, corners map back to the source', async () => {
    const img = await decodeImage(file('cat_720p.jpg'), 'cat_720p.jpg');
    const { tensor, transform } = await preprocessImage(img, YOLO_I8, { resize: 'letterbox' });
    expect(tensor).toBeInstanceOf(Int8Array);
    expect(tensor.length).toBe(640 * 640 * 3);
    expect(transform).toEqual({ scaleX: 0.5, scaleY: 0.5, padX: 0, padY: 140, srcWidth: 1280, srcHeight: 720, inputWidth: 640, inputHeight: 640 });
    const row = (y: number): Int8Array => tensor.subarray(y * 640 * 3, (y + 1) * 640 * 3) as Int8Array;
    for (const y of [0, 139, 500, 639]) expect(row(y).every((v) => v === 114 - 128)).toBe(true);
    const resized = resizeBilinearRgb(img.data, 1280, 720, 640, 360);
    expect(maxDiff(resized, referenceBilinearRgb(img.data, 1280, 720, 640, 360))).toBeLessThanOrEqual(1);
    for (const y of [140, 320, 499]) {
      const want = resized.subarray((y - 140) * 640 * 3, (y - 139) * 640 * 3);
      expect([...row(y)]).toEqual([...want].map((p) => p - 128));
    }
    expect(inputToSource(transform, 0, 140)).toEqual({ x: 0, y: 0 });
    expect(inputToSource(transform, 640, 500)).toEqual({ x: 1280, y: 720 });
    expect(inputToSource(transform, 320, 320)).toEqual({ x: 640, y: 360 });
  });

  it('letterbox of a tall image pads left and right', async () => {
    const img = await decodeImage(file('parrot.jpg'), 'parrot.jpg');
    const { transform } = await preprocessImage(img, YOLO_I8, { resize: 'letterbox' });
    const w = Math.round((512 * 640) / 929);
    expect(transform).toMatchObject({ padX: Math.floor((640 - w) / 2), padY: 0, scaleX: w / 512, scaleY: 640 / 929 });
    const corner = inputToSource(transform, transform.padX + w, 640);
    expect(corner.x).toBeCloseTo(512, 9);
    expect(corner.y).toBeCloseTo(929, 9);
  });

  it('float32 NCHW with ImageNet mean/std', async () => {
    const img = decodeBmp(file('bird.bmp'), 'bird.bmp');
    const spec: InputSpec = { shape: [1, 3, 224, 224], dtype: 'float32', quantization: { scale: 0, zeroPoint: 0 }, layout: 'NCHW', normalize: IMAGENET_NORMALIZE };
    const { tensor } = await preprocessImage(img, spec);
    expect(tensor).toBeInstanceOf(Float32Array);
    expect(tensor.length).toBe(3 * 224 * 224);
    const resized = resizeBilinearRgb(img.data, img.width, img.height, 224, 224);
    const { mean, std } = IMAGENET_NORMALIZE as { mean: number[]; std: number[] };
    for (const i of [0, 1000, 25_000, 224 * 224 - 1]) {
      for (let c = 0; c < 3; c++) {
        expect(tensor[c * 224 * 224 + i]).toBe(Math.fround((resized[i * 3 + c]! - mean[c]!) / std[c]!));
      }
    }
  });

  it('layout is inferred as NCHW from [1, 3, H, W] when not given', async () => {
    expect(inputGeometry({ ...MOBILENET_U8, shape: [1, 3, 224, 224] }).layout).toBe('NCHW');
    expect(inputGeometry(MOBILENET_U8).layout).toBe('NHWC');
  });

  it('grayscale 28x28 from mnist_5.jpg ([1, 1, 28, 28] float = luma / 255)', async () => {
    const buf = file('mnist_5.jpg');
    const spec: InputSpec = { shape: [1, 1, 28, 28], dtype: 'float32', quantization: { scale: 0, zeroPoint: 0 } };
    const { tensor } = await preprocessImage(await decodeImage(buf, 'mnist_5.jpg'), spec, { resize: 'nearest' });
    expect(tensor.length).toBe(28 * 28);
    const grey = await sharp(buf).toColourspace('b-w').raw().toBuffer();
    expect([...tensor]).toEqual([...grey].map((g) => Math.fround(g / 255)));
  });

  it('person.bmp into person_detect-style [1, 96, 96, 1] int8: palette index - 128', async () => {
    const img = decodeBmp(file('person/person.bmp'), 'person.bmp');
    const spec: InputSpec = { shape: [1, 96, 96, 1], dtype: 'int8', quantization: { scale: 0.0039, zeroPoint: -128 } };
    const { tensor } = await preprocessImage(img, spec);
    expect([...tensor]).toEqual([...img.indices!].map((i) => i - 128));
  });
});

describe('prepareImage (decode + resize in one go)', () => {
  it('BMP: identical to decode then preprocess', async () => {
    const buf = file('squat.bmp');
    const spec: InputSpec = { shape: [1, 192, 192, 3], dtype: 'uint8', quantization: { scale: 1 / 255, zeroPoint: 0 } };
    const a = await prepareImage(buf, 'squat.bmp', spec);
    const b = await preprocessImage(decodeBmp(buf, 'squat.bmp'), spec);
    expect(Buffer.from(a.tensor).equals(Buffer.from(b.tensor))).toBe(true);
    expect(a.transform).toEqual(b.transform);
  });

  for (const resize of ['bilinear', 'letterbox'] as const) {
    it(`JPEG ${resize} below 8x the input size: identical to decode + preprocess`, async () => {
      const buf = file('cat_720p.jpg');
      const a = await prepareImage(buf, 'cat_720p.jpg', MOBILENET_U8, { resize });
      const b = await preprocessImage(await decodeImage(buf, 'cat_720p.jpg'), MOBILENET_U8, { resize });
      expect(a.transform).toEqual(b.transform);
      expect(Buffer.from(a.tensor).equals(Buffer.from(b.tensor))).toBe(true);
    });
  }

  for (const resize of ['nearest', 'area'] as const) {
    it(`JPEG ${resize}: same shape and transform as decode + preprocess, values within a few levels`, async () => {
      // sharp resizes these while decoding, with shrink-on-load, so values differ slightly from a full decode.
      const buf = file('cat_720p.jpg');
      const a = await prepareImage(buf, 'cat_720p.jpg', MOBILENET_U8, { resize });
      const b = await preprocessImage(await decodeImage(buf, 'cat_720p.jpg'), MOBILENET_U8, { resize });
      expect(a.tensor.length).toBe(b.tensor.length);
      expect(a.transform).toEqual(b.transform);
      let sum = 0;
      for (let i = 0; i < a.tensor.length; i++) sum += Math.abs(a.tensor[i]! - b.tensor[i]!);
      expect(sum / a.tensor.length).toBeLessThan(resize === 'nearest' ? 5 : 1);
    });
  }

  it('jpegShrinkFactor: 8 or 4, dividing the size exactly, leaving at least 2x the target on both axes', () => {
    expect(jpegShrinkFactor(1280, 720, 224, 224)).toBe(1);
    expect(jpegShrinkFactor(1792, 1792, 224, 224)).toBe(4);
    expect(jpegShrinkFactor(1790, 1792, 224, 224)).toBe(1);
    expect(jpegShrinkFactor(4032, 3024, 300, 300)).toBe(4);
    expect(jpegShrinkFactor(4032, 3024, 150, 150)).toBe(8);
    expect(jpegShrinkFactor(4032, 3024, 640, 360)).toBe(1);
  });

  it('big JPEG: decoded at 1/4 size, then bilinear; same geometry as a full decode', async () => {
    // 1792x1792 to 224: 448x448 after a 1/4 shrink-on-load, still twice the input. Red and green are ramps along x
    // and y: any misplacement of the reduced image would show as an offset in them.
    const n = 1792;
    const ramp = new Uint8Array(n * n * 3);
    for (let i = 0; i < n * n; i++) ramp.set([Math.round(((i % n) * 255) / (n - 1)), Math.round((Math.floor(i / n) * 255) / (n - 1)), 128], i * 3);
    const big = await sharp(ramp, { raw: { width: n, height: n, channels: 3 } }).jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
    const a = await prepareImage(big, 'big.jpg', MOBILENET_U8);
    const b = await preprocessImage(await decodeImage(big, 'big.jpg'), MOBILENET_U8);
    expect(a.transform).toEqual(b.transform);
    expect(a.transform).toMatchObject({ srcWidth: 1792, srcHeight: 1792, scaleX: 0.125, scaleY: 0.125 });
    let sum = 0;
    for (let i = 0; i < a.tensor.length; i++) sum += Math.abs(a.tensor[i]! - b.tensor[i]!);
    // Measured: mean 0.28, max 2 (JPEG noise, which the full-size bilinear samples and the reduced decode averages).
    expect(sum / a.tensor.length).toBeLessThan(0.5);
    expect(maxDiff(a.tensor, b.tensor)).toBeLessThanOrEqual(3);
    expect(Buffer.from(a.tensor).equals(Buffer.from(b.tensor))).toBe(false);
  });

  it('PNG bilinear: identical to decode + preprocess', async () => {
    const buf = file('sergey.png');
    const a = await prepareImage(buf, 'sergey.png', MOBILENET_U8);
    const b = await preprocessImage(await decodeImage(buf, 'sergey.png'), MOBILENET_U8);
    expect(a.transform).toEqual(b.transform);
    expect(Buffer.from(a.tensor).equals(Buffer.from(b.tensor))).toBe(true);
  });

  it('PNG with EXIF orientation: transform uses the oriented size', async () => {
    const png = await sharp(Buffer.alloc(40 * 20 * 3, 200), { raw: { width: 40, height: 20, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toBuffer();
    const { transform } = await prepareImage(png, 'rot.png', YOLO_I8, { resize: 'letterbox' });
    expect(transform).toMatchObject({ srcWidth: 20, srcHeight: 40, padX: 160, padY: 0, scaleX: 16, scaleY: 16 });
  });

  it('non-image bytes: ImageDecodeError naming the source', async () => {
    await expect(prepareImage(Buffer.from('hello world'), 'upload-7', MOBILENET_U8)).rejects.toThrow(
      new ImageDecodeError('cannot decode image "upload-7": not a JPEG, PNG, WebP, GIF, TIFF or BMP image (first bytes: 68 65 6c 6c 6f 20 77 6f "hello wo")', 'upload-7'),
    );
  });
});

describe('input spec errors', () => {
  const img = raw(2, 2, Array(12).fill(0));
  const bad = async (spec: InputSpec): Promise<unknown> => preprocessImage(img, spec).then(() => undefined, (e: unknown) => e);

  it('not 4-D', async () => {
    const err = await bad({ ...MOBILENET_U8, shape: [224, 224, 3] });
    expect(err).toBeInstanceOf(InputShapeError);
    expect((err as Error).message).toContain('[224, 224, 3] is not 4-D');
  });
  it('channels not 1 or 3', async () => {
    const err = await bad({ ...MOBILENET_U8, shape: [1, 224, 224, 4] });
    expect(err).toBeInstanceOf(InputShapeError);
    expect((err as Error).message).toMatch(/\[1, 224, 224, 4\] \(NHWC\) has 4 channels/);
  });
  it('batch other than 1 (a dynamic -1 batch is fine)', async () => {
    expect(await bad({ ...MOBILENET_U8, shape: [2, 224, 224, 3] })).toBeInstanceOf(InputShapeError);
    expect(inputGeometry({ ...MOBILENET_U8, shape: [-1, 3, 224, 224] })).toEqual({ width: 224, height: 224, channels: 3, layout: 'NCHW' });
  });
  it('unsupported dtype from an engine tensor', () => {
    const t = { shape: [1, 224, 224, 3], dtype: 'float16', quantization: { scale: 0, zeroPoint: 0 } };
    expect(() => toInputSpec(t)).toThrow(InputShapeError);
    expect(toInputSpec({ ...t, dtype: 'uint8' }).dtype).toBe('uint8');
  });
  it('bad normalize options are UsageErrors', async () => {
    const f: InputSpec = { shape: [1, 2, 2, 3], dtype: 'float32', quantization: { scale: 0, zeroPoint: 0 } };
    expect(await bad({ ...f, normalize: { mean: [1, 2], std: [1] } })).toBeInstanceOf(UsageError);
    expect(await bad({ ...f, normalize: { mean: [0], std: [0] } })).toBeInstanceOf(UsageError);
  });
  it('raw image data of the wrong length', async () => {
    const err = await preprocessImage(raw(3, 3, [1, 2, 3]), MOBILENET_U8).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InputShapeError);
  });
});

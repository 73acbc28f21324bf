import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../src/errors.js';
import { decodeImage, decodeImageFile } from '../../src/image/decode.js';

const mediaDir = path.resolve(import.meta.dirname, '../../../shared/media');
const media = (name: string): string => path.join(mediaDir, name);

async function expectDecodeError(p: Promise<unknown>, source: string, pattern: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageDecodeError);
  expect((err as ImageDecodeError).message).toContain(`"${source}"`);
  expect((err as ImageDecodeError).message).toMatch(pattern);
  expect((err as ImageDecodeError).code).toBe('IMAGE_DECODE');
}

/** A 4x2 image whose pixels are all different, for exact round trips through lossless formats. */
const W = 4;
const H = 2;
const PIXELS = Buffer.from(Array.from({ length: W * H * 3 }, (_, i) => (i * 29 + 5) % 256));
const rawInput = { raw: { width: W, height: H, channels: 3 as const } };

describe('decodeImage through sharp', () => {
  it('parrot.jpg: 512x929 RGB', async () => {
    const img = await decodeImage(readFileSync(media('parrot.jpg')), 'parrot.jpg');
    expect([img.width, img.height, img.channels]).toEqual([512, 929, 3]);
    expect(img.data.length).toBe(512 * 929 * 3);
  });

  it('sergey.png: RGBA becomes RGB with the same colour bytes', async () => {
    const file = readFileSync(media('sergey.png'));
    const img = await decodeImage(file, 'sergey.png');
    expect([img.width, img.height, img.channels]).toEqual([600, 600, 3]);
    const rgba = await sharp(file).raw().toBuffer();
    expect(rgba.length).toBe(600 * 600 * 4);
    for (let i = 0; i < 600 * 600; i += 1013) {
      expect([...img.data.subarray(i * 3, i * 3 + 3)]).toEqual([...rgba.subarray(i * 4, i * 4 + 3)]);
    }
  });

  it('mnist_5.jpg: greyscale becomes 3 equal channels', async () => {
    const file = readFileSync(media('mnist_5.jpg'));
    const img = await decodeImage(file, 'mnist_5.jpg');
    expect([img.width, img.height]).toEqual([28, 28]);
    const grey = await sharp(file).toColourspace('b-w').raw().toBuffer();
    expect(grey.length).toBe(28 * 28);
    for (let i = 0; i < 28 * 28; i++) {
      expect([img.data[i * 3], img.data[i * 3 + 1], img.data[i * 3 + 2]]).toEqual([grey[i], grey[i], grey[i]]);
    }
  });

  it('PNG, lossless WebP, TIFF and GIF round-trip known pixels exactly', async () => {
    const encoded = {
      png: await sharp(PIXELS, rawInput).png().toBuffer(),
      webp: await sharp(PIXELS, rawInput).webp({ lossless: true }).toBuffer(),
      tiff: await sharp(PIXELS, rawInput).tiff({ compression: 'lzw' }).toBuffer(),
    };
    for (const [format, buf] of Object.entries(encoded)) {
      const img = await decodeImage(buf, `x.${format}`);
      expect([img.width, img.height], format).toEqual([W, H]);
      expect(img.data.equals(PIXELS), format).toBe(true);
    }
    const gif = await decodeImage(await sharp(PIXELS, rawInput).gif().toBuffer(), 'x.gif');
    expect([gif.width, gif.height]).toEqual([W, H]);
  });

  it('16-bit PNG decodes to 8-bit RGB', async () => {
    const png16 = await sharp(PIXELS, rawInput).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const img = await decodeImage(png16, 'x16.png');
    expect(img.data.equals(PIXELS)).toBe(true);
  });

  it('applies EXIF orientation (6 = rotate 90° clockwise)', async () => {
    const png = await sharp(PIXELS, rawInput).withMetadata({ orientation: 6 }).png().toBuffer();
    const img = await decodeImage(png, 'rotated.png');
    expect([img.width, img.height]).toEqual([H, W]);
    // After a clockwise turn, the source's bottom-left pixel is the output's top-left.
    expect([...img.data.subarray(0, 3)]).toEqual([...PIXELS.subarray((1 * W + 0) * 3, (1 * W + 0) * 3 + 3)]);
  });

  it('decodes BMP by its magic through the TS decoder', async () => {
    const img = await decodeImage(readFileSync(media('cat.bmp')), 'cat.bmp');
    expect([img.width, img.height]).toEqual([512, 341]);
  });
});

describe('decodeImage errors', () => {
  it('non-image bytes: names the source and shows the first bytes', async () => {
    await expectDecodeError(
      decodeImage(Buffer.from('<!DOCTYPE html><html>'), 'http://cam/snapshot'),
      'http://cam/snapshot',
      /not a JPEG, PNG, WebP, GIF, TIFF or BMP image \(first bytes: 3c 21 44 4f 43 54 59 50 "<!DOCTYP"\)/,
    );
  });

  it('an audio file', async () => {
    await expectDecodeError(decodeImage(readFileSync(media('speech/yes_30ms.wav')), 'yes.wav'), 'yes.wav', /"RIFF/);
  });

  it('SVG is refused even though sharp could render it', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    await expectDecodeError(decodeImage(svg, 'x.svg'), 'x.svg', /not a JPEG/);
  });

  it('empty buffer', async () => {
    await expectDecodeError(decodeImage(Buffer.alloc(0), 'empty.jpg'), 'empty.jpg', /empty input \(0 bytes\)/);
  });

  it('truncated JPEG and PNG', async () => {
    const jpg = readFileSync(media('parrot.jpg'));
    await expectDecodeError(decodeImage(jpg.subarray(0, jpg.length / 2), 'half.jpg'), 'half.jpg', /as JPEG: /);
    const png = readFileSync(media('sergey.png'));
    await expectDecodeError(decodeImage(png.subarray(0, 5000), 'half.png'), 'half.png', /as PNG: /);
  });

  it('truncated BMP', async () => {
    const bmp = readFileSync(media('squat.bmp'));
    await expectDecodeError(decodeImage(bmp.subarray(0, 1000), 'squat.bmp'), 'squat.bmp', /BMP truncated/);
  });
});

describe('decodeImageFile', () => {
  it('reads and decodes a file', async () => {
    const img = await decodeImageFile(media('person/person.bmp'));
    expect([img.width, img.height]).toEqual([96, 96]);
  });

  it('a missing file', async () => {
    const p = media('no-such-image.jpg');
    await expectDecodeError(decodeImageFile(p), p, /cannot read image .*: no such file/);
  });

  it('a directory', async () => {
    await expectDecodeError(decodeImageFile(mediaDir), mediaDir, /is a directory/);
  });
});

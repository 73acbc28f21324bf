import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError } from '../../src/errors.js';
import { decodeBmp } from '../../src/image/bmp.js';
import { writeBmp } from './bmp-writer.js';

const media = (name: string): string => path.resolve(import.meta.dirname, '../../../shared/media', name);
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

/** sha256 of `ffmpeg -i <file> -f rawvideo -pix_fmt rgb24 -` (ffmpeg 5.1), an independent BMP decoder. */
const FFMPEG_RGB_SHA256: Record<string, { width: number; height: number; bpp: number; sha: string }> = {
  'cat.bmp': { width: 512, height: 341, bpp: 24, sha: 'c30acc022443553a1970a53d1d45ea3ed18130181ad4b6d9128f74cd08fd6e83' },
  'squat.bmp': { width: 500, height: 610, bpp: 24, sha: '185586535c45e548cc6d6850115983e6e87d382dc5f1a1041bc35e87912f731e' },
  'grace_hopper.bmp': { width: 512, height: 600, bpp: 24, sha: 'a3a89e1d9f138a6e348278bf487d02a4326c66c8850b817f3769a21b2a13b1e8' },
  'person/person.bmp': { width: 96, height: 96, bpp: 8, sha: 'abca19f5f663b6c41d5a88d9f881421fe3acdfa639d3a3fd202f611bc0643e8f' },
  'bird_segmentation_mask.bmp': { width: 513, height: 513, bpp: 8, sha: '82e9bf986c818a1bec9080719dae79076e526fbf87e9aca9af12fd48ac1ee5d3' },
};

function expectDecodeError(fn: () => unknown, pattern: RegExp, source = 'test.bmp'): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImageDecodeError);
    expect((err as ImageDecodeError).message).toContain(`"${source}"`);
    expect((err as ImageDecodeError).message).toMatch(pattern);
    expect((err as ImageDecodeError).source).toBe(source);
    return;
  }
  throw new Error('expected an ImageDecodeError');
}

describe('decodeBmp on the shared media', () => {
  for (const [name, want] of Object.entries(FFMPEG_RGB_SHA256)) {
    it(`${name}: ${want.width}x${want.height} ${want.bpp}-bit, pixels equal ffmpeg's`, () => {
      const img = decodeBmp(readFileSync(media(name)), name);
      expect([img.width, img.height, img.channels, img.bitsPerPixel]).toEqual([want.width, want.height, 3, want.bpp]);
      expect(img.data.length).toBe(want.width * want.height * 3);
      expect(sha256(img.data)).toBe(want.sha);
    });
  }

  it.skipIf(!hasFfmpeg)('matches a live ffmpeg decode of every shared BMP', () => {
    for (const name of [...Object.keys(FFMPEG_RGB_SHA256), 'bird.bmp', 'sunflower.bmp', 'imprinting/cat_test_0.bmp']) {
      const ff = spawnSync('ffmpeg', ['-v', 'error', '-i', media(name), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
        maxBuffer: 1 << 26,
      });
      expect(ff.status).toBe(0);
      expect(decodeBmp(readFileSync(media(name)), name).data.equals(ff.stdout)).toBe(true);
    }
  });

  it('cat.bmp corners equal the bottom-up BGR bytes read straight from the file', () => {
    const file = readFileSync(media('cat.bmp'));
    const img = decodeBmp(file, 'cat.bmp');
    const offset = file.readUInt32LE(10);
    const stride = 512 * 3; // 512 * 3 is already a multiple of 4
    for (const [x, y] of [[0, 0], [511, 0], [0, 340], [511, 340], [200, 100]] as const) {
      const f = offset + (340 - y) * stride + x * 3;
      const d = (y * 512 + x) * 3;
      expect([...img.data.subarray(d, d + 3)]).toEqual([file[f + 2], file[f + 1], file[f]]);
    }
  });

  it('returns the palette indices of the 8-bit segmentation mask', () => {
    const img = decodeBmp(readFileSync(media('bird_segmentation_mask.bmp')), 'mask');
    expect(img.indices).toBeInstanceOf(Uint8Array);
    expect(img.indices!.length).toBe(513 * 513);
    // sha256 of ffmpeg's pal8 index plane for this file.
    expect(sha256(img.indices!)).toBe('68e70d0bbf7bae738973bdc4142ecf8b52772a0cdd5751fe3c12bffe04d5691e');
    expect([...new Set(img.indices)].sort()).toEqual([0, 1, 2, 3]);
    expect(img.palette!.length).toBe(256 * 3);
    // Grey palette: RGB of every pixel is its index repeated.
    for (let i = 0; i < img.indices!.length; i += 997) {
      const v = img.indices![i]!;
      expect([...img.data.subarray(i * 3, i * 3 + 3)]).toEqual([v, v, v]);
    }
  });
});

describe('decodeBmp on synthetic files', () => {
  const W = 5; // odd width so rows need padding at every depth
  const H = 3;
  const pixels = Array.from({ length: W * H }, (_, i) => [(i * 37) % 256, (i * 91 + 7) % 256, (255 - i * 13) % 256]);
  const expected = Buffer.from(pixels.flat());

  for (const bpp of [24, 32] as const) {
    for (const topDown of [false, true]) {
      for (const headerSize of [40, 108, 124] as const) {
        it(`${bpp}-bit ${topDown ? 'top-down' : 'bottom-up'}, ${headerSize}-byte header`, () => {
          const img = decodeBmp(writeBmp(W, H, { bpp, topDown, headerSize, pixels }), 'test.bmp');
          expect([img.width, img.height]).toEqual([W, H]);
          expect(img.data.equals(expected)).toBe(true);
          expect(img.indices).toBeUndefined();
        });
      }
    }
  }

  it('32-bit BI_BITFIELDS with BGRA masks (40-byte header, masks after it) and with RGBA masks (V5)', () => {
    const bgra = pixels.map(([r, g, b]) => ((0xab << 24) | (r! << 16) | (g! << 8) | b!) >>> 0);
    const a = decodeBmp(writeBmp(W, H, { bpp: 32, masks: [0xff0000, 0xff00, 0xff], packed: bgra }), 'test.bmp');
    expect(a.data.equals(expected)).toBe(true);
    const rgba = pixels.map(([r, g, b]) => ((0xab << 24) | (b! << 16) | (g! << 8) | r!) >>> 0);
    const masks: [number, number, number, number] = [0xff, 0xff00, 0xff0000, 0xff000000];
    const b = decodeBmp(writeBmp(W, H, { bpp: 32, headerSize: 124, masks, packed: rgba, topDown: true }), 'test.bmp');
    expect(b.data.equals(expected)).toBe(true);
  });

  it('16-bit 5-6-5 bitfields and 5-5-5 default, expanded to 8 bits', () => {
    const packed565 = [0xf800, 0x07e0, 0x001f, 0xffff, 0x0000];
    const a = decodeBmp(writeBmp(5, 1, { bpp: 16, masks: [0xf800, 0x07e0, 0x001f], packed: packed565 }), 'test.bmp');
    expect([...a.data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0]);
    const packed555 = [0x7c00, 0x03e0, 0x001f, 0x4210]; // last: 16/31 in every channel
    const b = decodeBmp(writeBmp(4, 1, { bpp: 16, packed: packed555 }), 'test.bmp');
    const mid = Math.round((16 * 255) / 31);
    expect([...b.data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, mid, mid, mid]);
  });

  for (const bpp of [1, 4, 8] as const) {
    it(`${bpp}-bit paletted: RGB from the palette plus raw indices`, () => {
      const n = 1 << bpp;
      const palette = Array.from({ length: n }, (_, i) => [i * 3 % 256, 255 - i, (i * 50) % 256]);
      const indices = Array.from({ length: W * H }, (_, i) => (i * 7 + 1) % n);
      const img = decodeBmp(writeBmp(W, H, { bpp, palette, indices }), 'test.bmp');
      expect([...img.indices!]).toEqual(indices);
      expect([...img.palette!]).toEqual(palette.flat());
      expect([...img.data]).toEqual(indices.flatMap((i) => palette[i]!));
    });
  }
});

describe('decodeBmp errors name the source and the problem', () => {
  const good = writeBmp(4, 4, { bpp: 24, pixels: Array.from({ length: 16 }, () => [1, 2, 3]) });
  const patched = (at: number, write: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    write(b.subarray(at));
    return b;
  };

  it('truncated pixel data', () => {
    expectDecodeError(() => decodeBmp(good.subarray(0, good.length - 10), 'test.bmp'), /truncated.*needs \d+ bytes/);
  });
  it('truncated header', () => {
    expectDecodeError(() => decodeBmp(good.subarray(0, 30), 'test.bmp'), /truncated/);
    expectDecodeError(() => decodeBmp(good.subarray(0, 10), 'test.bmp'), /truncated/);
  });
  it('the real cat.bmp cut in half', () => {
    const half = readFileSync(media('cat.bmp')).subarray(0, 260_000);
    expectDecodeError(() => decodeBmp(half, 'cat.bmp'), /truncated: 512x341 at 24 bits/, 'cat.bmp');
  });
  it('unsupported bit depth', () => {
    expectDecodeError(() => decodeBmp(patched(28, (b) => b.writeUInt16LE(2)), 'test.bmp'), /unsupported bit depth 2/);
  });
  it('unsupported compression', () => {
    expectDecodeError(() => decodeBmp(patched(30, (b) => b.writeUInt32LE(1)), 'test.bmp'), /unsupported compression RLE8/);
  });
  it('bad and absurd dimensions', () => {
    expectDecodeError(() => decodeBmp(patched(18, (b) => b.writeInt32LE(0)), 'test.bmp'), /bad dimensions 0x4/);
    expectDecodeError(() => decodeBmp(patched(18, (b) => b.writeInt32LE(-4)), 'test.bmp'), /bad dimensions -4x4/);
    expectDecodeError(() => decodeBmp(patched(22, (b) => b.writeInt32LE(-100_000)), 'test.bmp'), /exceed the 16384 px/);
  });
  it('unknown header size and missing signature', () => {
    expectDecodeError(() => decodeBmp(patched(14, (b) => b.writeUInt32LE(77)), 'test.bmp'), /header size 77/);
    expectDecodeError(() => decodeBmp(patched(0, (b) => b.write('XX')), 'test.bmp'), /signature/);
  });
  it('bad pixel data offset', () => {
    expectDecodeError(() => decodeBmp(patched(10, (b) => b.writeUInt32LE(9_999_999)), 'test.bmp'), /pixel data offset/);
  });
});

/** Frames of a real object (a crop of a real photo) pasted on a grey background at given positions, for detectors. */
import sharp from 'sharp';
import { decodeImageFile } from '../../src/image/index.js';
import type { RawImage } from '../../src/image/index.js';
import { sharedMedia } from './paths.js';

export const SCENE = { width: 960, height: 540 } as const;

const sprites = new Map<number, Buffer>();

/** ../shared/media/cat.bmp scaled to `height` px; SSD MobileNet finds a cat in it at ~0.7 (at 300 px). */
async function catSprite(height = 300): Promise<Buffer> {
  let sprite = sprites.get(height);
  if (!sprite) {
    const img = await decodeImageFile(sharedMedia('cat.bmp'));
    sprite = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize({ height }).png().toBuffer();
    sprites.set(height, sprite);
  }
  return sprite;
}

/** The scene with cats `height` px high at these top-left corners. */
export async function catsFrame(corners: readonly { x: number; y: number }[], height: number): Promise<RawImage> {
  const sprite = await catSprite(height);
  const base = sharp({ create: { width: SCENE.width, height: SCENE.height, channels: 3, background: { r: 128, g: 128, b: 128 } } });
  const composed = corners.length > 0 ? base.composite(corners.map((c) => ({ input: sprite, left: c.x, top: c.y }))) : base;
  const { data, info } = await composed.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** The scene with the cat's top-left corner at (x, y); `cat: false` gives the empty scene. */
export async function catFrame(x: number, y = 200, cat = true): Promise<RawImage> {
  const base = sharp({ create: { width: SCENE.width, height: SCENE.height, channels: 3, background: { r: 128, g: 128, b: 128 } } });
  const composed = cat ? base.composite([{ input: await catSprite(), left: x, top: y }]) : base;
  const { data, info } = await composed.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

export async function toJpeg(image: RawImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

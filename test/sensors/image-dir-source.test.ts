import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EncodedFrame, SourceItem } from '../../src/sensors/frame.js';
import { globToRegExp, listFiles } from '../../src/sensors/file-list.js';
import { ImageDirSource } from '../../src/sensors/image-dir-source.js';
import { sharedMedia } from '../helpers/paths.js';
import { collect, collectUntilEnded, recordStates, waitForState } from './helpers.js';

const MEDIA = path.dirname(sharedMedia('cat.bmp'));
const THREE = path.join(MEDIA, '{cat.bmp,bird.bmp,parrot.jpg}');

const sources: ImageDirSource[] = [];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'edgerun-images-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function images(config: Omit<ConstructorParameters<typeof ImageDirSource>[1], 'type'>): ImageDirSource {
  const source = new ImageDirSource('stills', { type: 'images', ...config });
  sources.push(source);
  return source;
}

function encoded(items: SourceItem[]): EncodedFrame[] {
  return items.map((item) => {
    if (item.kind !== 'encoded') throw new Error(`expected an encoded frame, got ${item.kind}`);
    return item;
  });
}

describe('ImageDirSource', () => {
  it('plays a glob once, in name order, with the files\' bytes, then ends', async () => {
    const source = images({ path: THREE, fps: 50, loop: false });
    const states = recordStates(source);
    const { items, status } = await collectUntilEnded(source);
    const frames = encoded(items);
    expect(frames.map((f) => path.basename(f.name))).toEqual(['bird.bmp', 'cat.bmp', 'parrot.jpg']);
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2]);
    for (const frame of frames) expect(frame.data.equals(readFileSync(frame.name))).toBe(true);
    expect(status).toMatchObject({ state: 'ended', delivered: 3 });
    expect(states.map((s) => s.state)).toEqual(['starting', 'running', 'ended']);
  });

  it('loops with seq increasing past the end of the list', async () => {
    const source = images({ path: THREE, fps: 100, loop: true });
    const frames = encoded(await collect(source, 8));
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(frames.map((f) => path.basename(f.name))).toEqual([
      'bird.bmp', 'cat.bmp', 'parrot.jpg', 'bird.bmp', 'cat.bmp', 'parrot.jpg', 'bird.bmp', 'cat.bmp',
    ]);
  });

  it('reads a directory of symlinks and skips unreadable or non-image files with a reported error', async () => {
    const d = mkdtempSync(path.join(dir, 'mixed-'));
    symlinkSync(sharedMedia('parrot.jpg'), path.join(d, 'a.jpg'));
    symlinkSync(path.join(d, 'gone.png'), path.join(d, 'b.png')); // dangling
    writeFileSync(path.join(d, 'c.webp'), 'this is text, not an image');
    symlinkSync(sharedMedia('sergey.png'), path.join(d, 'd.PNG'));
    writeFileSync(path.join(d, 'notes.txt'), 'ignored: not an image extension');
    const source = images({ path: d, fps: 100, loop: false });
    const { items, status } = await collectUntilEnded(source);
    expect(encoded(items).map((f) => path.basename(f.name))).toEqual(['a.jpg', 'd.PNG']);
    expect(status.skipped).toBe(2);
    expect(status.lastError).toMatch(/c\.webp: not a JPEG, PNG, BMP or WebP image$/);
  });

  it('fails clearly for a path that does not exist or holds no images', async () => {
    const missing = images({ path: path.join(dir, 'nope'), loop: true });
    missing.start(() => {});
    expect((await waitForState(missing, ['failed'])).lastError).toContain('nope: ENOENT');

    const empty = mkdtempSync(path.join(dir, 'empty-'));
    const none = images({ path: empty, loop: false });
    none.start(() => {});
    expect((await waitForState(none, ['failed'])).lastError).toContain('no images');

    const broken = mkdtempSync(path.join(dir, 'broken-'));
    writeFileSync(path.join(broken, 'x.jpg'), 'nope');
    const unreadable = images({ path: broken, loop: true, fps: 100 });
    unreadable.start(() => {});
    expect((await waitForState(unreadable, ['failed'])).lastError).toContain('none of the 1 images could be read');
  });

  it('stops between images without delivering more', async () => {
    const source = images({ path: THREE, fps: 0.01, loop: true });
    const frames = await collect(source, 1);
    await source.stop();
    expect(frames).toHaveLength(1);
    expect(source.status()).toMatchObject({ state: 'stopped', delivered: 1 });
  });
});

describe('listFiles', () => {
  it('sorts names with numbers in numeric order and filters by extension', async () => {
    const d = mkdtempSync(path.join(dir, 'sorted-'));
    for (const name of ['frame10.jpg', 'frame2.jpg', 'frame1.JPG', 'x.gif']) writeFileSync(path.join(d, name), '');
    expect((await listFiles(d, ['jpg'])).map((f) => path.basename(f))).toEqual(['frame1.JPG', 'frame2.jpg', 'frame10.jpg']);
    expect((await listFiles(path.join(d, 'frame?.jpg'), ['jpg'])).map((f) => path.basename(f))).toEqual(['frame2.jpg']);
  });

  it('translates globs', () => {
    expect(globToRegExp('*.{jpg,png}').test('a.b.png')).toBe(true);
    expect(globToRegExp('*.{jpg,png}').test('a.gif')).toBe(false);
    expect(globToRegExp('img[0-9].bmp').test('img7.bmp')).toBe(true);
    expect(globToRegExp('img[!0-9].bmp').test('img7.bmp')).toBe(false);
    expect(globToRegExp('a+b(1).jpg').test('a+b(1).jpg')).toBe(true);
  });
});

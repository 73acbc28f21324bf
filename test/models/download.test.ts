// Downloads into the content-addressed store from a real HTTP server on 127.0.0.1: resume with Range, the size
// limit, the sha256 check (a mismatch deletes the file), truncation, schemes and redirects.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadToStore, type DownloadLimits } from '../../src/models/download.js';
import { ChecksumMismatchError, DownloadError } from '../../src/models/model-errors.js';
import { ModelStore } from '../../src/models/model-store.js';
import { sharedModel } from '../helpers/paths.js';
import { startFileServer, type FileServer } from './file-server.js';

const model = readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
const sha = createHash('sha256').update(model).digest('hex');
const limits: DownloadLimits = { allowedSchemes: ['http'], maxBytes: 64 * 1024 * 1024, timeoutMs: 10_000 };

let server: FileServer;
beforeAll(async () => {
  server = await startFileServer({
    '/m.tflite': { body: model },
    '/cut.tflite': { body: model, cutAfter: 100_000 },
    '/moved': { redirect: '/m.tflite' },
    '/to-ftp': { redirect: 'ftp://127.0.0.1/m.tflite' },
    '/gone': { status: 410 },
  });
});
afterAll(async () => {
  await server.close();
});

const freshStore = (): ModelStore => new ModelStore(path.join(mkdtempSync(path.join(tmpdir(), 'edgerun-store-')), 'models'));
const origin = (url: string) => ({ kind: 'url' as const, url });

describe('downloadToStore', () => {
  it('stores the file under its sha256, read-only, with an index entry', async () => {
    const store = freshStore();
    const url = `${server.url}/m.tflite`;
    const seen: number[] = [];
    const r = await downloadToStore(store, { url, sha256: sha, size: model.length, name: 'm.tflite', origin: origin(url), onProgress: (n) => seen.push(n) }, limits);
    expect(r).toMatchObject({ sha256: sha, size: model.length, name: 'm.tflite', origin: { kind: 'url', url } });
    const blob = store.blobPath(sha);
    expect(readFileSync(blob).equals(model)).toBe(true);
    expect(statSync(blob).mode & 0o222).toBe(0);
    expect(seen.at(-1)).toBe(model.length);
    expect(readdirSync(store.partialDir)).toEqual([]);
    expect(store.list().map((b) => b.sha256)).toEqual([sha]);
  });

  it('resumes a partial download with a Range request', async () => {
    const store = freshStore();
    store.ensureDirs();
    writeFileSync(store.partialPath(sha), model.subarray(0, 200_000));
    const before = server.requests.length;
    const url = `${server.url}/m.tflite`;
    await downloadToStore(store, { url, sha256: sha, name: 'm.tflite', origin: origin(url) }, limits);
    expect(server.requests.slice(before)).toEqual([{ path: '/m.tflite', range: 'bytes=200000-' }]);
    expect(readFileSync(store.blobPath(sha)).equals(model)).toBe(true);
  });

  it('keeps what a cut connection delivered, says so, and the next attempt resumes from there', async () => {
    const store = freshStore();
    const url = `${server.url}/cut.tflite`;
    const err = await downloadToStore(store, { url, sha256: sha, name: 'm.tflite', origin: origin(url) }, limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).code).toBe('TRUNCATED');
    expect((err as Error).message).toMatch(/stopped after 100000 of 525598 bytes/);
    expect(store.has(sha)).toBe(false);
    expect(statSync(store.partialPath(sha)).size).toBe(100_000);
    server.routes.set('/cut.tflite', { body: model });
    try {
      await downloadToStore(store, { url, sha256: sha, name: 'm.tflite', origin: origin(url) }, limits);
    } finally {
      server.routes.set('/cut.tflite', { body: model, cutAfter: 100_000 });
    }
    expect(server.requests.at(-1)).toEqual({ path: '/cut.tflite', range: 'bytes=100000-' });
    expect(readFileSync(store.blobPath(sha)).equals(model)).toBe(true);
  });

  it('deletes a file whose sha256 is not the one asked for, and says so', async () => {
    const store = freshStore();
    const wrong = createHash('sha256').update('something else').digest('hex');
    const url = `${server.url}/m.tflite`;
    const err = await downloadToStore(store, { url, sha256: wrong, name: 'm.tflite', origin: origin(url) }, limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as Error).message).toContain(`sha256 is ${sha}`);
    expect((err as Error).message).toContain(`expected ${wrong}`);
    expect((err as Error).message).toContain('the file was deleted');
    expect(existsSync(store.partialPath(wrong))).toBe(false);
    expect(store.list()).toEqual([]);
  });

  it('refuses a file over the size limit, from the catalog size or from Content-Length', async () => {
    const store = freshStore();
    const url = `${server.url}/m.tflite`;
    const small = { ...limits, maxBytes: 100_000 };
    const before = server.requests.length;
    await expect(downloadToStore(store, { url, sha256: sha, size: model.length, name: 'm', origin: origin(url) }, small)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(server.requests.length).toBe(before); // refused before connecting
    const err = await downloadToStore(store, { url, sha256: sha, name: 'm', origin: origin(url) }, small).catch((e: unknown) => e);
    expect((err as DownloadError).code).toBe('TOO_LARGE');
    expect((err as Error).message).toContain('models.maxDownloadBytes');
    expect(existsSync(store.partialPath(sha))).toBe(false);
  });

  it('refuses schemes the config does not allow, also behind a redirect, and follows allowed redirects', async () => {
    const store = freshStore();
    const before = server.requests.length;
    await expect(downloadToStore(store, { url: 'file:///etc/passwd', sha256: sha, name: 'x', origin: origin('file:///etc/passwd') }, limits)).rejects.toThrow(
      /URL scheme "file" is not allowed \(models.allowedSchemes is \[http\]\)/,
    );
    await expect(downloadToStore(store, { url: `${server.url}/m.tflite`, sha256: sha, name: 'x', origin: origin('') }, { ...limits, allowedSchemes: ['https'] })).rejects.toMatchObject({
      code: 'SCHEME_NOT_ALLOWED',
    });
    expect(server.requests.length).toBe(before);
    await expect(downloadToStore(store, { url: `${server.url}/to-ftp`, sha256: sha, name: 'x', origin: origin('') }, limits)).rejects.toThrow(/scheme "ftp" is not allowed/);
    await expect(downloadToStore(store, { url: `${server.url}/gone`, sha256: sha, name: 'x', origin: origin('') }, limits)).rejects.toThrow(/answered 410/);
    const r = await downloadToStore(store, { url: `${server.url}/moved`, sha256: sha, name: 'x', origin: origin('') }, limits);
    expect(r.sha256).toBe(sha);
  });

  it('never builds a path from anything but a validated sha256', async () => {
    const store = freshStore();
    await expect(downloadToStore(store, { url: `${server.url}/m.tflite`, sha256: '../../etc/passwd', name: 'x', origin: origin('') }, limits)).rejects.toThrow(/64 lower-case hex digits/);
    mkdirSync(store.root, { recursive: true });
    expect(readdirSync(store.root)).toEqual([]);
  });
});

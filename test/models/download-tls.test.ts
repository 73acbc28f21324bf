// HTTPS downloads from a mirror whose certificate comes from a private CA (made with openssl in the test): refused
// with a hint naming --ca / models.ca / NODE_EXTRA_CA_CERTS without the CA, installed and sha256-checked with it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadToStore, readCaFile, type DownloadLimits } from '../../src/models/download.js';
import { DownloadError } from '../../src/models/model-errors.js';
import { ModelStore } from '../../src/models/model-store.js';
import { sharedModel } from '../helpers/paths.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { startFileServer, type FileServer } from './file-server.js';
import { makeTestCa, type TestCa } from './test-ca.js';

const model = readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
const sha = createHash('sha256').update(model).digest('hex');
const limits: DownloadLimits = { allowedSchemes: ['https'], maxBytes: 64 * 1024 * 1024, timeoutMs: 10_000 };

let ca: TestCa;
let server: FileServer;
beforeAll(async () => {
  ca = makeTestCa();
  server = await startFileServer({ '/m.tflite': { body: model } }, { tls: ca.server });
});
afterAll(async () => {
  await server?.close();
});

const freshStore = (): ModelStore => ModelStore.forStateDir(tempDir('edgerun-tls-store-'));
const request = () => ({ url: `${server.url}/m.tflite`, sha256: sha, size: model.length, name: 'm.tflite', origin: { kind: 'url' as const, url: `${server.url}/m.tflite` } });

describe('HTTPS downloads and a private CA', () => {
  it('without the CA: TLS_CERTIFICATE, Node\'s own reason, and what to do about it; nothing stored', async () => {
    const store = freshStore();
    const err = await downloadToStore(store, request(), limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).code).toBe('TLS_CERTIFICATE');
    const message = (err as Error).message;
    expect(message).toContain('unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(message).toContain('`edgerun models pull --ca FILE`');
    expect(message).toContain('models.ca');
    expect(message).toContain('NODE_EXTRA_CA_CERTS');
    expect(store.list()).toEqual([]);
  });

  it('with the CA: downloads, verifies the sha256 and stores the file', async () => {
    const store = freshStore();
    const r = await downloadToStore(store, request(), { ...limits, ca: readCaFile(ca.caFile, '--ca') });
    expect(r.sha256).toBe(sha);
    const stored = readFileSync(store.blobPath(sha));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(sha);
    expect(stored.length).toBe(model.length);
  });

  it('with an unrelated CA: still refused, and the message says the CA given is not the issuer', async () => {
    const err = await downloadToStore(freshStore(), request(), { ...limits, ca: readCaFile(ca.otherCaFile, 'models.ca') }).catch((e: unknown) => e);
    expect((err as DownloadError).code).toBe('TLS_CERTIFICATE');
    expect((err as Error).message).toContain('the CA given (--ca / models.ca) did not sign it either');
  });

  it('readCaFile refuses a missing file and a file that holds no certificate, naming the setting', () => {
    expect(() => readCaFile(path.join(ca.dir, 'nope.pem'), 'models.ca')).toThrow(/^models\.ca: cannot read the CA certificate file .*nope\.pem: ENOENT/);
    expect(() => readCaFile(ca.caKeyFile, '--ca')).toThrow(/^--ca: .*edgerun-test-ca\.key holds no PEM certificate .*not its key/);
    let caught: unknown;
    try {
      readCaFile(ca.caKeyFile, '--ca');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DownloadError);
    expect((caught as DownloadError).code).toBe('CA_FILE');
  });
});

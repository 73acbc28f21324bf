/**
 * HTTP(S) download into the model store: only from allowed schemes, within a size limit, resumed with a Range
 * request from `partial/<sha256>.part`, and committed only when the sha256 matches (store.commit deletes a file
 * that does not). The destination is always derived from the expected sha256, never from the URL.
 */
import { X509Certificate } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, rmSync, statSync, type WriteStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { errorMessage } from '../errors.js';
import { fsyncFile } from '../util/atomic-file.js';
import { DownloadError } from './model-errors.js';
import { assertSha256, type BlobOrigin, type BlobRecord, type ModelStore } from './model-store.js';

export interface DownloadLimits {
  /** URL schemes allowed, without the colon: `https`, `http`. */
  allowedSchemes: readonly string[];
  maxBytes: number;
  /** Give up when the server sends nothing for this long. */
  timeoutMs: number;
  /**
   * PEM certificates of CAs trusted for HTTPS besides Node's bundled roots and NODE_EXTRA_CA_CERTS (`models.ca`,
   * `models pull --ca`): a LAN mirror with a certificate from a private CA. Read with readCaFile.
   */
  ca?: string;
}

export interface DownloadRequest {
  url: string;
  sha256: string;
  /** The size the catalog gives, when known: checked against the limit before anything is fetched. */
  size?: number;
  /** Names the blob in the store's index. */
  name: string;
  origin: BlobOrigin;
  onProgress?: (received: number, total: number | undefined) => void;
}

const MAX_REDIRECTS = 5;

/** Parses `url` and refuses schemes the config does not allow (before any connection is made). */
export function checkUrl(url: string, allowedSchemes: readonly string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError('BAD_URL', `"${url.slice(0, 200)}" is not a URL`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (!allowedSchemes.includes(scheme)) {
    throw new DownloadError(
      'SCHEME_NOT_ALLOWED',
      `URL scheme "${scheme}" is not allowed (models.allowedSchemes is [${allowedSchemes.join(', ')}]): ${redact(parsed)}`,
    );
  }
  if (parsed.username || parsed.password) {
    throw new DownloadError('BAD_URL', `URLs with credentials are refused: ${redact(parsed)}`);
  }
  return parsed;
}

/**
 * Reads a CA certificate file (PEM, one or more certificates) for DownloadLimits.ca; `what` names the setting in
 * the error (`models.ca`, `--ca`).
 */
export function readCaFile(file: string, what: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DownloadError('CA_FILE', `${what}: cannot read the CA certificate file ${file}: ${errorMessage(err)}`);
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new DownloadError('CA_FILE', `${what}: ${file} holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block); give the CA's certificate, not its key`);
  }
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new DownloadError('CA_FILE', `${what}: ${file}: a certificate in it does not parse (${errorMessage(err)})`);
    }
  }
  return blocks.join('\n') + '\n';
}

export async function downloadToStore(store: ModelStore, req: DownloadRequest, limits: DownloadLimits): Promise<BlobRecord> {
  assertSha256(req.sha256);
  const existing = store.record(req.sha256);
  if (existing) return existing;
  let url = checkUrl(req.url, limits.allowedSchemes);
  if (req.size !== undefined && req.size > limits.maxBytes) {
    throw new DownloadError('TOO_LARGE', `${req.name} is ${req.size} bytes, over the ${limits.maxBytes}-byte limit (models.maxDownloadBytes)`);
  }
  store.ensureDirs();
  const partial = store.partialPath(req.sha256);
  let offset = existsSync(partial) ? statSync(partial).size : 0;
  if (req.size !== undefined && offset > req.size) {
    rmSync(partial, { force: true });
    offset = 0;
  }
  if (req.size === undefined || offset < req.size) {
    for (let redirects = 0; ; redirects++) {
      const res = await get(url, offset, limits);
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) throw new DownloadError('HTTP_STATUS', `too many redirects from ${redact(url)}`);
        url = checkUrl(new URL(location, url).toString(), limits.allowedSchemes);
        continue;
      }
      if (res.statusCode === 416 && offset > 0) {
        // The server has no bytes past what we hold: the partial file is complete or stale; the hash decides.
        res.resume();
        break;
      }
      offset = await receive(res, url, partial, offset, req, limits);
      break;
    }
  }
  fsyncFile(partial);
  return store.commit(partial, req.sha256, { name: req.name, origin: req.origin, what: `download from ${redact(url)}` });
}

async function receive(res: IncomingMessage, url: URL, partial: string, offset: number, req: DownloadRequest, limits: DownloadLimits): Promise<number> {
  const status = res.statusCode ?? 0;
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new DownloadError('HTTP_STATUS', `GET ${redact(url)} answered ${status} ${res.statusMessage ?? ''}`.trim());
  }
  let start = 0;
  if (status === 206) {
    start = Number(/^bytes (\d+)-/.exec(res.headers['content-range'] ?? '')?.[1] ?? NaN);
    if (start !== offset) {
      res.resume();
      throw new DownloadError('DOWNLOAD_FAILED', `GET ${redact(url)} resumed at byte ${start}, not at ${offset} as asked`);
    }
  }
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  const total = length !== undefined ? start + length : req.size;
  if (total !== undefined && total > limits.maxBytes) {
    res.resume();
    rmSync(partial, { force: true });
    throw new DownloadError('TOO_LARGE', `GET ${redact(url)} would send ${total} bytes, over the ${limits.maxBytes}-byte limit (models.maxDownloadBytes)`);
  }
  let received = start;
  let failure: unknown;
  let tooLarge = false;
  const file = createWriteStream(partial, { flags: status === 206 ? 'a' : 'w' });
  let writeError: unknown;
  file.on('error', (err) => {
    writeError ??= err;
    res.destroy();
  });
  // Flowing mode, no pausing: every byte the parser saw reaches the file even when the connection then breaks (a
  // paused stream would drop its buffer on the error).
  await new Promise<void>((resolve) => {
    res.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      received += chunk.length;
      if (received > limits.maxBytes) {
        tooLarge = true;
        res.destroy();
        return;
      }
      file.write(chunk);
      req.onProgress?.(received, total);
    });
    res.on('error', (err) => (failure ??= err));
    res.on('close', () => {
      if (!res.complete) failure ??= new Error('the connection closed early');
      resolve();
    });
  });
  if (tooLarge) {
    await closeFile(file);
    rmSync(partial, { force: true });
    throw new DownloadError('TOO_LARGE', `GET ${redact(url)} sent more than the ${limits.maxBytes}-byte limit (models.maxDownloadBytes); the file was deleted`);
  }
  // Whatever arrived is flushed to disk, so a later attempt resumes after it.
  await closeFile(file);
  if (writeError !== undefined) throw new DownloadError('DOWNLOAD_FAILED', `cannot write ${partial}: ${errorMessage(writeError)}`);
  if (failure !== undefined) {
    const kept = statSync(partial).size;
    throw new DownloadError(
      'TRUNCATED',
      `download from ${redact(url)} stopped after ${kept}${total !== undefined ? ` of ${total}` : ''} bytes (${errorMessage(failure)}); ` +
        'the bytes received are kept and the next attempt resumes from there',
    );
  }
  if (total !== undefined && received < total) {
    throw new DownloadError(
      'TRUNCATED',
      `download from ${redact(url)} ended after ${received} of ${total} bytes; the bytes received are kept and the next attempt resumes from there`,
    );
  }
  return received;
}

/** Ends the file and waits until it is closed (write errors surface through its 'error' listener). */
function closeFile(file: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (file.closed) return resolve();
    file.once('close', () => resolve());
    file.end();
  });
}

function get(url: URL, offset: number, limits: DownloadLimits): Promise<IncomingMessage> {
  const headers = { 'user-agent': 'edgerun', ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) };
  return new Promise((resolve, reject) => {
    const req =
      url.protocol === 'https:'
        ? https.get(url, { headers, ...(limits.ca ? { ca: trustedCas(limits.ca) } : {}) }, resolve)
        : http.get(url, { headers }, resolve);
    req.setTimeout(limits.timeoutMs, () => req.destroy(new Error(`no data for ${limits.timeoutMs} ms (models.downloadTimeoutMs)`)));
    req.on('error', (err) => reject(requestError(err, url, limits.ca !== undefined)));
  });
}

/**
 * Node's `ca` option replaces the trusted roots: keep the bundled ones and NODE_EXTRA_CA_CERTS beside the CA
 * given, so a redirect from the mirror to a public host still verifies.
 */
function trustedCas(ca: string): string[] {
  const out = [...rootCertificates];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (extra) {
    try {
      out.push(readFileSync(extra, 'utf8'));
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at start-up.
    }
  }
  out.push(ca);
  return out;
}

/** OpenSSL's codes for a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

function requestError(err: Error, url: URL, caGiven: boolean): DownloadError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const base = `GET ${redact(url)} failed: ${errorMessage(err)}`;
  if (UNTRUSTED_CERT_CODES.has(code)) {
    const fix = caGiven
      ? "the CA given (--ca / models.ca) did not sign it either: give the certificate of the CA that issued the server's certificate"
      : "if the server uses a private CA, give that CA's PEM certificate with `edgerun models pull --ca FILE` or the config key " +
        'models.ca (used by the daemon\'s swaps too), or set NODE_EXTRA_CA_CERTS=FILE';
    return new DownloadError('TLS_CERTIFICATE', `${base} (${code}): the server's certificate does not lead to a CA this machine trusts; ${fix}`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new DownloadError('TLS_CERTIFICATE', `${base}: the certificate is valid but not for this host name; use a URL with a name the certificate lists`);
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new DownloadError('TLS_CERTIFICATE', `${base} (${code}): check the server's certificate dates and this machine's clock`);
  }
  return new DownloadError('DOWNLOAD_FAILED', base);
}

function redact(url: URL): string {
  const copy = new URL(url.toString());
  copy.username = '';
  copy.password = '';
  copy.search = copy.search ? '?…' : '';
  return copy.toString();
}

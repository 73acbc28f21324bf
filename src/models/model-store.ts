/**
 * The local model store under `stateDir/models`: content-addressed blobs (`blobs/<sha256>`, read-only), an index
 * with what each blob is and where it came from, partial downloads (`partial/<sha256>.part`, resumable) and
 * named views for loading (store-views.ts). Blobs are the truth; the index only adds names and origins, so a lost
 * index update never loses a file. Every path is built from a validated sha256, never from a caller's string.
 */
import { copyFile, chmod, rm } from 'node:fs/promises';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { commitFile, fsyncFile, tempPathFor, writeFileAtomic } from '../util/atomic-file.js';
import { SHA256_PATTERN } from './catalog-schema.js';
import { sha256File } from './hash-file.js';
import { ChecksumMismatchError, StoreError } from './model-errors.js';

export type BlobOrigin =
  | { kind: 'pull'; url: string; catalog: string }
  | { kind: 'import'; from: string; catalog: string }
  | { kind: 'url'; url: string };

export interface BlobRecord {
  sha256: string;
  size: number;
  /** A file name for people (the catalog's or the URL's last segment). */
  name: string;
  addedAt: string;
  origin?: BlobOrigin;
}

interface IndexFile {
  v: 1;
  blobs: Record<string, Omit<BlobRecord, 'sha256'>>;
}

const SHA256 = new RegExp(SHA256_PATTERN);

export function assertSha256(value: string, what = 'sha256'): string {
  if (!SHA256.test(value)) throw new StoreError(`${what} must be 64 lower-case hex digits; got "${value.slice(0, 80)}"`);
  return value;
}

export class ModelStore {
  readonly blobsDir: string;
  readonly partialDir: string;
  readonly viewsDir: string;
  private readonly indexPath: string;

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'blobs');
    this.partialDir = path.join(root, 'partial');
    this.viewsDir = path.join(root, 'views');
    this.indexPath = path.join(root, 'index.json');
  }

  static forStateDir(stateDir: string): ModelStore {
    return new ModelStore(path.join(stateDir, 'models'));
  }

  ensureDirs(): void {
    try {
      for (const d of [this.blobsDir, this.partialDir, this.viewsDir]) mkdirSync(d, { recursive: true });
    } catch (err) {
      throw new StoreError(`cannot create the model store at ${this.root}: ${errorMessage(err)}; check stateDir`);
    }
  }

  blobPath(sha256: string): string {
    return path.join(this.blobsDir, assertSha256(sha256));
  }

  partialPath(sha256: string): string {
    return path.join(this.partialDir, `${assertSha256(sha256)}.part`);
  }

  has(sha256: string): boolean {
    return SHA256.test(sha256) && existsSync(path.join(this.blobsDir, sha256));
  }

  record(sha256: string): BlobRecord | undefined {
    if (!this.has(sha256)) return undefined;
    const meta = this.readIndex().blobs[sha256];
    const size = statSync(this.blobPath(sha256)).size;
    return { sha256, size, name: meta?.name ?? sha256, addedAt: meta?.addedAt ?? '', ...(meta?.origin ? { origin: meta.origin } : {}) };
  }

  /** Every blob on disk, with the index's names where it has them. */
  list(): BlobRecord[] {
    let names: string[] = [];
    try {
      names = readdirSync(this.blobsDir).filter((n) => SHA256.test(n));
    } catch {
      return [];
    }
    return names.map((sha) => this.record(sha)).filter((r): r is BlobRecord => r !== undefined);
  }

  /**
   * Moves a finished, fsync'd temporary or partial file into the store after checking its sha256. On a mismatch
   * the file is deleted and ChecksumMismatchError says so.
   */
  async commit(file: string, expected: string, meta: { name: string; origin?: BlobOrigin; what: string }): Promise<BlobRecord> {
    assertSha256(expected);
    const { sha256, size } = await sha256File(file);
    if (sha256 !== expected) {
      await rm(file, { force: true });
      throw new ChecksumMismatchError(
        `${meta.what}: sha256 is ${sha256} (${size} bytes), expected ${expected}; the file was deleted and nothing was installed`,
        expected,
        sha256,
      );
    }
    this.ensureDirs();
    await chmod(file, 0o444);
    commitFile(file, this.blobPath(sha256));
    return this.note(sha256, size, meta.name, meta.origin);
  }

  /** Copies a local file into the store (air-gapped import), checking it against `expected`. */
  async importFile(src: string, expected: string, meta: { name: string; origin?: BlobOrigin }): Promise<BlobRecord> {
    this.ensureDirs();
    if (this.has(expected)) return this.record(expected)!;
    const tmp = tempPathFor(this.blobPath(expected));
    try {
      await copyFile(src, tmp);
      fsyncFile(tmp);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new StoreError(`cannot copy ${src} into the store: ${errorMessage(err)}`);
    }
    return this.commit(tmp, expected, { ...meta, what: src });
  }

  /** Deletes a blob (and its index entry). Views that pointed at it are dropped by the caller (store-views.ts). */
  remove(sha256: string): boolean {
    const existed = this.has(sha256);
    rmSync(this.blobPath(sha256), { force: true });
    rmSync(this.partialPath(sha256), { force: true });
    const index = this.readIndex();
    if (index.blobs[sha256]) {
      delete index.blobs[sha256];
      this.writeIndex(index);
    }
    return existed;
  }

  /** Re-hashes every blob; a blob whose content no longer matches its name is reported (and deleted with `fix`). */
  async verify(fix = false): Promise<{ sha256: string; name: string; ok: boolean; actual?: string; removed?: boolean }[]> {
    const out = [];
    for (const r of this.list()) {
      const { sha256 } = await sha256File(this.blobPath(r.sha256));
      const ok = sha256 === r.sha256;
      if (!ok && fix) this.remove(r.sha256);
      out.push({ sha256: r.sha256, name: r.name, ok, ...(ok ? {} : { actual: sha256, removed: fix }) });
    }
    return out;
  }

  private note(sha256: string, size: number, name: string, origin?: BlobOrigin): BlobRecord {
    const index = this.readIndex();
    const addedAt = index.blobs[sha256]?.addedAt ?? new Date().toISOString();
    index.blobs[sha256] = { size, name, addedAt, ...(origin ? { origin } : {}) };
    this.writeIndex(index);
    return { sha256, size, name, addedAt, ...(origin ? { origin } : {}) };
  }

  private readIndex(): IndexFile {
    let text: string;
    try {
      text = readFileSync(this.indexPath, 'utf8');
    } catch {
      return { v: 1, blobs: {} };
    }
    try {
      const parsed = JSON.parse(text) as IndexFile;
      return parsed.v === 1 && typeof parsed.blobs === 'object' ? parsed : { v: 1, blobs: {} };
    } catch {
      // The index is only names and origins; the blobs stay usable without it.
      return { v: 1, blobs: {} };
    }
  }

  private writeIndex(index: IndexFile): void {
    writeFileAtomic(this.indexPath, JSON.stringify(index, null, 1) + '\n');
  }
}

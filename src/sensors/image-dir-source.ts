import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { requirePositiveNumber } from './config-checks.js';
import { listFiles } from './file-list.js';
import type { EncodedFrame } from './frame.js';
import { IMAGE_EXTENSIONS, sniffImage } from './image-signature.js';
import { PumpedSource } from './pumped-source.js';
import type { ImagesConfig } from './source-config.js';
import { SourceError } from './source-error.js';

/**
 * Still images from a directory or glob, in name order, at `fps` (first one at once), once (then 'ended') or
 * looped; a looped directory is listed again on every pass. Files that cannot be read or are not JPEG/PNG/BMP/WebP
 * are skipped and reported in `lastError`/`skipped`.
 */
export class ImageDirSource extends PumpedSource {
  private readonly periodMs: number;
  private files: string[] = [];
  private fileIndex = 0;
  private readableInPass = 0;

  constructor(
    id: string,
    readonly config: ImagesConfig,
  ) {
    super(id);
    this.periodMs = 1000 / requirePositiveNumber('fps', config.fps ?? 1);
  }

  protected async run(): Promise<void> {
    await this.beginPass();
    let due = Date.now();
    while (!this.stopping) {
      const image = await this.nextImage();
      if (this.stopping) return;
      if (!image) {
        this.tracker.set('ended');
        return;
      }
      const frame: EncodedFrame = { kind: 'encoded', seq: this.seq++, capturedAt: Date.now(), name: image.name, data: image.data };
      this.emit(frame);
      if (!this.config.loop && this.fileIndex >= this.files.length) {
        this.tracker.set('ended');
        return;
      }
      // Keep the rate steady, but after a stall start a fresh schedule rather than catching up in a burst.
      due = Math.max(due + this.periodMs, Date.now());
      if (!(await this.delay.wait(due - Date.now()))) return;
    }
  }

  /** The next readable image; undefined at the end of a non-looping list. */
  private async nextImage(): Promise<{ name: string; data: Buffer } | undefined> {
    for (;;) {
      if (this.fileIndex >= this.files.length) {
        if (this.readableInPass === 0) {
          throw new SourceError(`${this.config.path}: none of the ${this.files.length} images could be read`);
        }
        if (!this.config.loop) return undefined;
        await this.beginPass();
      }
      const name = this.files[this.fileIndex++] ?? '';
      try {
        const data = await readFile(name);
        if (!sniffImage(data)) throw new SourceError(`${name}: not a JPEG, PNG, BMP or WebP image`);
        this.readableInPass++;
        return { name, data };
      } catch (err) {
        this.skip(err instanceof SourceError ? err.message : `${name}: ${errorMessage(err)}`);
      }
      if (this.stopping) return undefined;
    }
  }

  private async beginPass(): Promise<void> {
    this.files = await listFiles(this.config.path, IMAGE_EXTENSIONS);
    if (this.files.length === 0) {
      throw new SourceError(`${this.config.path}: no images (${IMAGE_EXTENSIONS.join(', ')}) found`);
    }
    this.fileIndex = 0;
    this.readableInPass = 0;
  }
}

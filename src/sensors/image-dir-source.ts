import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import { CancellableDelay } from './cancellable-delay.js';
import { requirePositiveNumber } from './config-checks.js';
import { listFiles } from './file-list.js';
import type { EncodedFrame, Source, SourceItem, SourceStatus } from './frame.js';
import { IMAGE_EXTENSIONS, sniffImage } from './image-signature.js';
import type { ImagesConfig } from './source-config.js';
import { SourceError } from './source-error.js';
import { StatusTracker } from './status-tracker.js';

/**
 * Still images from a directory or glob, in name order, at `fps` (first one at once), once (then 'ended') or
 * looped; a looped directory is listed again on every pass. Files that cannot be read or are not JPEG/PNG/BMP/WebP
 * are skipped and reported in `lastError`/`skipped`.
 */
export class ImageDirSource implements Source {
  onState?: (status: SourceStatus) => void;
  private readonly tracker = new StatusTracker((status) => this.onState?.(status));
  private readonly delay = new CancellableDelay();
  private readonly periodMs: number;
  private onItem?: (item: SourceItem) => void;
  private seq = 0;
  private skipped = 0;
  private stopping = false;
  private pump?: Promise<void>;
  private files: string[] = [];
  private fileIndex = 0;
  private readableInPass = 0;

  constructor(
    readonly id: string,
    readonly config: ImagesConfig,
  ) {
    this.periodMs = 1000 / requirePositiveNumber('fps', config.fps ?? 1);
  }

  start(onItem: (item: SourceItem) => void): void {
    const state = this.tracker.state;
    if (state === 'starting' || state === 'running') throw new SourceError(`source ${this.id} is already started`);
    this.onItem = onItem;
    this.stopping = false;
    this.tracker.set('starting');
    this.pump = this.run().catch((err: unknown) => {
      if (!this.stopping) this.tracker.set('failed', { lastError: errorMessage(err) });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.delay.cancel();
    if (this.pump) await this.pump;
    this.pump = undefined;
    const state = this.tracker.state;
    if (state === 'starting' || state === 'running') this.tracker.set('stopped');
  }

  status(): SourceStatus {
    return this.tracker.snapshot();
  }

  private async run(): Promise<void> {
    await this.beginPass();
    let due = Date.now();
    while (!this.stopping) {
      const image = await this.nextImage();
      if (this.stopping) return;
      if (!image) {
        this.tracker.set('ended');
        return;
      }
      if (this.tracker.state === 'starting') this.tracker.set('running');
      const frame: EncodedFrame = {
        kind: 'encoded',
        seq: this.seq++,
        capturedAt: Date.now(),
        name: image.name,
        data: image.data,
      };
      this.tracker.countDelivered();
      this.onItem?.(frame);
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
        this.skipped++;
        const message = err instanceof SourceError ? err.message : `${name}: ${errorMessage(err)}`;
        this.tracker.report(`skipped ${message}`, this.skipped);
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

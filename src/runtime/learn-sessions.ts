/**
 * Teaching a pipeline from its live frames: `collect` embeds the next N frames on the extractor part of the learned
 * model the pipeline serves and keeps each embedding with a small JPEG thumbnail under
 * `stateDir/learn/<pipeline>/<label hex>/`; `apply` grows the served model with them (learn --from), stores it and
 * swaps it in through the ordinary swap command, so trust rules, rollback and "a failure keeps the old model" hold.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { packModel } from '../delegates/index.js';
import { decodeImage, type RawImage } from '../image/index.js';
import sharp from '../image/sharp-instance.js';
import { buildImprintedModel, type ClassExamples } from '../learn/build-model.js';
import { Embedder } from '../learn/embedder.js';
import { loadLearned, sha256 } from '../learn/learn-base.js';
import { LearnError } from '../learn/learn-errors.js';
import { checkLabel } from '../learn/training-set.js';
import type { Frame } from '../sensors/index.js';
import type { Channel } from '../trust/request-verifier.js';
import type { CommandAnswer, ModelLifecycle } from './model-lifecycle.js';
import type { Pipeline } from './pipeline.js';

export const MAX_FRAMES = 100;
const THUMBNAIL_SIDE = 96;

export interface LearnSessionsDeps {
  stateDir: string;
  pipeline: (id: string) => Pipeline | undefined;
  lifecycle: () => ModelLifecycle | undefined;
  log: Logger;
}

export interface CollectedClass {
  label: string;
  examples: number;
  thumbnails: string[];
}

export class LearnSessions {
  private readonly busy = new Set<string>();

  constructor(private readonly deps: LearnSessionsDeps) {}

  /** Embeds the next `frames` video frames of pipeline `id` as examples of `label`. */
  async collect(id: string, rawLabel: unknown, frames: number, timeoutMs = 60_000): Promise<{ label: string; added: number; examples: number }> {
    if (typeof rawLabel !== 'string') throw new LearnError('label: expected a string');
    const label = checkLabel(rawLabel, 'label');
    if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES) throw new LearnError(`frames: expected an integer 1..${MAX_FRAMES}; got ${String(frames)}`);
    const pipeline = this.requirePipeline(id);
    if (this.busy.has(id)) throw new LearnError(`pipeline ${id} is already collecting frames; wait for it to finish`);
    this.busy.add(id);
    const scratch = await mkdtemp(path.join(tmpdir(), 'edgerun-live-learn-'));
    try {
      const embedder = await this.openExtractor(pipeline, scratch);
      const dir = this.classDir(id, label);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'label.txt'), label);
      let added = 0;
      try {
        await new Promise<void>((resolve, reject) => {
          let working = false;
          const timer = setTimeout(() => {
            stop();
            reject(new LearnError(`pipeline ${id}: only ${added} of ${frames} frames arrived in ${timeoutMs / 1000} s (is its source running?)`));
          }, timeoutMs);
          const stop = pipeline.tapFrames((frame) => {
            // One frame at a time: frames that arrive while one is being embedded are skipped, never queued.
            if (working || added >= frames) return;
            working = true;
            this.keep(embedder, frame, dir).then(
              () => {
                working = false;
                if (++added >= frames) {
                  clearTimeout(timer);
                  stop();
                  resolve();
                }
              },
              (err: unknown) => {
                clearTimeout(timer);
                stop();
                reject(err);
              },
            );
          });
        });
      } finally {
        embedder.dispose();
      }
      this.deps.log.info({ pipeline: id, label, frames: added }, 'learn: frames collected');
      return { label, added, examples: this.examplesIn(dir).length };
    } finally {
      this.busy.delete(id);
      await rm(scratch, { recursive: true, force: true });
    }
  }

  list(id: string): { pipeline: string; classes: CollectedClass[] } {
    this.requirePipeline(id);
    const root = this.pipelineDir(id);
    const classes = existsSync(root)
      ? readdirSync(root).sort().map((d): CollectedClass => {
          const dir = path.join(root, d);
          const names = this.examplesIn(dir);
          return { label: readFileSync(path.join(dir, 'label.txt'), 'utf8'), examples: names.length, thumbnails: names.map((n) => `${d}/${n}.jpg`) };
        })
      : [];
    return { pipeline: id, classes };
  }

  /** Drops the collected examples of `label`, or all of the pipeline's. */
  remove(id: string, label?: string): { removed: number } {
    this.requirePipeline(id);
    const target = label === undefined ? this.pipelineDir(id) : this.classDir(id, checkLabel(label, 'label'));
    const removed = this.list(id).classes.filter((c) => label === undefined || c.label === label).reduce((n, c) => n + c.examples, 0);
    rmSync(target, { recursive: true, force: true });
    return { removed };
  }

  /** A thumbnail named as `list` names it (`<label hex>/<n>.jpg`). */
  thumbnail(id: string, name: string): Buffer {
    if (!/^[0-9a-f]{2,256}\/\d{1,9}\.jpg$/.test(name)) throw new LearnError(`no thumbnail "${name.slice(0, 80)}"`);
    const file = path.join(this.pipelineDir(id), name);
    if (!existsSync(file)) throw new LearnError(`no thumbnail "${name}"`);
    return readFileSync(file);
  }

  /**
   * Grows the served model with the collected classes, stores it, and sends the swap command on `channel` (the
   * same trust rules as any swap). The examples are dropped once the new model serves.
   */
  async apply(id: string, channel: Channel): Promise<{ model: { id: string; sha256: string; labels: string[] }; answer: CommandAnswer }> {
    const pipeline = this.requirePipeline(id);
    const lifecycle = this.deps.lifecycle();
    if (!lifecycle) throw new LearnError('the model lifecycle is not running');
    const collected = this.list(id).classes.filter((c) => c.examples > 0);
    if (collected.length === 0) throw new LearnError(`pipeline ${id} has no collected examples (POST /api/pipelines/${id}/learn first)`);
    const served = this.servedPath(pipeline);
    const { base } = await loadLearned(served);
    const examples: ClassExamples[] = collected.map((c) => {
      const dir = this.classDir(id, c.label);
      const embeddings = this.examplesIn(dir).map((n) => {
        const b = readFileSync(path.join(dir, `${n}.emb`));
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      });
      return { label: c.label, embeddings, sources: [`camera frames (pipeline ${id}, ${embeddings.length})`] };
    });
    const built = buildImprintedModel(base, examples);
    const modelId = `${id}-learned-${Date.now().toString(36)}`;
    const hash = sha256(built.cpu);
    const tmp = path.join(tmpdir(), `edgerun-learned-${process.pid}-${randomBytes(4).toString('hex')}.tflite`);
    try {
      await writeFile(tmp, built.cpu);
      await lifecycle.store.importFile(tmp, hash, { name: `${modelId}.tflite`, origin: { kind: 'import', from: `live learning on pipeline ${id}`, catalog: modelId } });
    } finally {
      await rm(tmp, { force: true });
    }
    const command = { v: 1, action: 'swap', pipeline: id, model: { sha256: hash, id: modelId }, correlationId: `learn-${randomBytes(6).toString('hex')}` };
    const answer = await lifecycle.execute(command, channel, id);
    if (answer.ok) this.remove(id);
    return { model: { id: modelId, sha256: hash, labels: built.labels }, answer };
  }

  private async openExtractor(pipeline: Pipeline, scratch: string): Promise<Embedder> {
    const { strippedExtractor } = await loadLearned(this.servedPath(pipeline));
    const file = path.join(scratch, 'extractor.tflite');
    await writeFile(file, packModel(strippedExtractor.get('cpu')!));
    return Embedder.open(file, { engine: 'cpu' });
  }

  private servedPath(pipeline: Pipeline): string {
    const model = pipeline.status().model;
    if (!model) throw new LearnError(`pipeline ${pipeline.id} serves no model yet`);
    return model.path;
  }

  private async keep(embedder: Embedder, frame: Frame, dir: string): Promise<void> {
    const image: RawImage = frame.kind === 'encoded'
      ? await decodeImage(Buffer.from(frame.data), frame.name)
      : { data: Buffer.from(frame.data), width: frame.width, height: frame.height, channels: 3 };
    const embedding = await embedder.embedImage(image);
    const n = this.examplesIn(dir).length;
    const name = String(n).padStart(4, '0');
    const thumb = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside' })
      .jpeg({ quality: 80 })
      .toBuffer();
    writeFileSync(path.join(dir, `${name}.jpg`), thumb);
    writeFileSync(path.join(dir, `${name}.emb`), new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength));
  }

  private examplesIn(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir).filter((f) => f.endsWith('.emb')).map((f) => f.slice(0, -4)).sort();
  }

  private pipelineDir(id: string): string {
    return path.join(this.deps.stateDir, 'learn', id);
  }

  private classDir(id: string, label: string): string {
    return path.join(this.pipelineDir(id), Buffer.from(label, 'utf8').toString('hex'));
  }

  private requirePipeline(id: string): Pipeline {
    const p = this.deps.pipeline(id);
    if (!p) throw new LearnError(`no running pipeline "${id}" (GET /api/status lists them)`);
    return p;
  }
}

/** Runs an embedding extractor (any engine openEngine picks) on image files: one raw embedding per image. */
import { openEngine, type Engine, type OpenEngineOptions } from '../delegates/index.js';
import { prepareImage, preprocessImage, readImageFile, toInputSpec, type InputSpec, type RawImage } from '../image/index.js';

export class Embedder {
  private constructor(
    private readonly engine: Engine,
    private readonly spec: InputSpec,
    /** Which engine and file ran it, e.g. for the model card. */
    readonly reason: string,
    readonly engineKind: string,
  ) {}

  static async open(modelPath: string, options: OpenEngineOptions = {}): Promise<Embedder> {
    const opened = await openEngine(modelPath, options);
    try {
      const input = opened.engine.inputs[0];
      if (input === undefined || opened.engine.inputs.length !== 1) throw new Error(`${modelPath} has ${opened.engine.inputs.length} inputs; an image extractor has one`);
      const kind = opened.engine.variant ? `${opened.engine.kind} (${opened.engine.variant})` : opened.engine.kind;
      return new Embedder(opened.engine, toInputSpec(input), opened.reason, kind);
    } catch (err) {
      opened.engine.dispose();
      throw err;
    }
  }

  async embedFile(file: string): Promise<Float32Array> {
    const image = await prepareImage(await readImageFile(file), file, this.spec);
    return this.embedTensor(image.tensor);
  }

  async embedImage(image: RawImage): Promise<Float32Array> {
    return this.embedTensor((await preprocessImage(image, this.spec)).tensor);
  }

  async embedTensor(tensor: ArrayBufferView): Promise<Float32Array> {
    this.engine.setInput(0, tensor);
    await this.engine.invoke();
    return Float32Array.from(this.engine.outputFloat(0));
  }

  dispose(): void {
    this.engine.dispose();
  }
}

import { EdgerunError } from '../../errors.js';

/**
 * A TFLite graph the converter cannot express in ONNX exactly: names the model, the operator (index and type) and
 * what about it. The `onnx-converted` engine is then never a candidate for that model.
 */
export class ConversionError extends EdgerunError {
  constructor(
    readonly source: string,
    readonly op: string | undefined,
    readonly reason: string,
  ) {
    super('CONVERSION', `${source}: cannot convert to ONNX: ${op ? `${op}: ` : ''}${reason}`);
  }
}

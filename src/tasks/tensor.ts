/** An output tensor as the task decoders see it: float values with any quantization already applied. */
export interface OutputTensor {
  name: string;
  shape: number[];
  /** Already dequantized; int64 outputs arrive as plain numbers. */
  data: Float32Array;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The dimensions that are not 1, in order: [1,1001] → [1001], [1,513,513] → [513,513]. */
export function significantDims(shape: readonly number[]): number[] {
  return shape.filter((d) => d !== 1);
}

/** "name[1,10,4]" for error messages. */
export function describeTensor(t: { name?: string; shape: readonly number[] }): string {
  return `${t.name ?? ''}[${t.shape.join(',')}]`;
}

export function describeTensors(ts: readonly { name?: string; shape: readonly number[] }[]): string {
  return ts.map(describeTensor).join(', ');
}

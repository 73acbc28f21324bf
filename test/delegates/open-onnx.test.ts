import { describe, expect, it } from 'vitest';
import { openEngine } from '../../src/delegates/open-engine.js';
import { EdgeTpuError, ModelLoadError } from '../../src/errors.js';
import { sharedModel } from '../helpers/paths.js';

const MNIST = sharedModel('mnist.onnx');

describe('openEngine with ONNX models', () => {
  it.each([
    ['auto', 'ONNX Runtime (CPU): the model is ONNX'],
    ['cpu', 'ONNX Runtime (CPU): the model is ONNX'],
    ['onnx', 'ONNX Runtime (CPU): asked for'],
  ] as const)('--engine %s runs an .onnx file on ONNX Runtime', async (engine, reason) => {
    const opened = await openEngine(MNIST, { engine, edgetpuPath: '/nonexistent/libedgetpu.so.1' });
    expect(opened.engine.kind).toBe('onnx');
    expect(opened.reason).toBe(reason);
    expect(opened.modelPath).toBe(MNIST);
    expect(opened.fileInfo.format).toBe('onnx');
    expect(opened.fileInfo.opHistogram.Conv).toBeGreaterThan(0);
    await opened.engine.invoke();
    opened.engine.dispose();
  });

  it('--engine edgetpu on an ONNX model and --engine onnx on a TFLite model are typed errors', async () => {
    await expect(openEngine(MNIST, { engine: 'edgetpu' })).rejects.toThrow(EdgeTpuError);
    await expect(openEngine(sharedModel('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'onnx' })).rejects.toThrow(ModelLoadError);
  });

  it('a TFLite model still opens on the TFLite CPU engine, with TFLite file facts', async () => {
    const opened = await openEngine(sharedModel('mobilenet_v1_0.25_128_quant.tflite'), { engine: 'cpu' });
    expect(opened.engine.kind).toBe('cpu');
    expect(opened.fileInfo.format).toBe('tflite');
    opened.engine.dispose();
  });
});

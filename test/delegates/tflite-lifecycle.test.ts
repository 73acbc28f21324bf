import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { sharedModel } from '../helpers/paths.js';

describe('engine create/dispose', () => {
  it('5,000 create + invoke + dispose cycles leave RSS flat', async () => {
    const bytes = readFileSync(sharedModel('mobilenet_v1_0.25_128_quant.tflite'));
    const cycle = async (): Promise<void> => {
      const engine = TfliteEngine.fromBytes(bytes);
      await engine.invoke();
      engine.dispose();
    };
    for (let i = 0; i < 300; i++) await cycle(); // warm up allocator arenas
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 5000; i++) await cycle();
    const growthMb = (process.memoryUsage().rss - before) / 2 ** 20;
    console.log(`RSS growth over 5,000 create/invoke/dispose cycles: ${growthMb.toFixed(1)} MB`);
    // Leaking the model bytes alone would be 5000 x 0.5 MB = 2.5 GB; an interpreter's arena, more.
    expect(growthMb).toBeLessThan(40);
  }, 300_000);
});

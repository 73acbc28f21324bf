// The Pipeline page's ten minutes: a ring per pipeline fed by the real runtime bus and pipeline statuses.
import { describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../../src/runtime/pipeline.js';
import { PipelineHistory } from '../../src/runtime/pipeline-history.js';
import { RuntimeBus } from '../../src/runtime/runtime-bus.js';

const status = (id: string, dropped: number, fps: number): PipelineStatus => ({
  id,
  state: 'running',
  stalled: false,
  source: { state: 'running', delivered: 0, restarts: 0 },
  counters: { framesIn: 0, skipped: 0, dropped, inferred: 0, errors: 0 },
  fps,
  latencyMs: { p50: null, p99: null },
  invokeMs: { p50: 10, p99: 20 },
  media: 'image',
});

describe('PipelineHistory', () => {
  it('keeps 10 minutes of samples (dropped as a per-sample delta), the latest events and every model change', () => {
    const bus = new RuntimeBus();
    let dropped = 0;
    const history = new PipelineHistory(bus, () => [status('cam', dropped, 4)], 5000);
    history.start();
    try {
      for (let i = 0; i < 130; i++) {
        dropped += i % 2; // one more drop every other sample
        history.sample(i * 5000);
      }
      const view = history.view('cam');
      expect(view.samples).toHaveLength(120); // 10 min at one sample per 5 s
      expect(view.samples[0]!.t).toBe(10 * 5000);
      expect(view.samples.map((s) => s.dropped).slice(-4)).toEqual([0, 1, 0, 1]);
      expect(view.samples.at(-1)).toMatchObject({ fps: 4, invokeP50: 10, invokeP99: 20 });

      const model = { id: 'm', sha256: 'a'.repeat(64), path: '/m', task: 'detect' };
      bus.emit('modelChanged', { pipeline: 'cam', model: { ...model, engine: 'edgetpu', reason: 'Edge TPU found' } });
      bus.emit('modelChanged', { pipeline: 'cam', model: { ...model, engine: 'cpu', engineVariant: 'builtin', reason: 'CPU fallback after an Edge TPU failure: invoke failed' } });
      for (let i = 0; i < 40; i++) {
        bus.emit('event', { v: 1, type: 'new', device: 'd', pipeline: 'cam', id: `e${i}`, label: 'cat', score: 0.9, topScore: 0.9, box: { x: 0, y: 0, w: 1, h: 1 }, zones: [], enteredZones: [], startTime: '', frames: 1 });
      }
      const after = history.view('cam');
      expect(after.models.map((m) => [m.engine, m.reason])).toEqual([
        ['edgetpu', 'Edge TPU found'],
        ['cpu', 'CPU fallback after an Edge TPU failure: invoke failed'],
      ]);
      expect(after.events).toHaveLength(30);
      expect((after.events.at(-1) as { id: string }).id).toBe('e39');

      bus.emit('pipelineState', { pipeline: 'cam', state: 'removed' });
      expect(history.view('cam')).toMatchObject({ samples: [], events: [], models: [] });
    } finally {
      history.stop();
    }
  });
});

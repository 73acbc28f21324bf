/**
 * Child-process entry for an isolated calibration (isolated-calibration.ts): receives the model bytes and options,
 * calibrates as chooseCpuEngine does (caching the pick in the state dir), answers with the pick and exits. Whatever
 * the candidates leave behind (WASM heaps, ONNX Runtime sessions, glibc arenas) goes with the process.
 */
import { errorMessage } from '../../errors.js';
import type { CalibrationAnswer, CalibrationRequest } from './calibration-protocol.js';
import { chooseCpuEngine } from './choose-cpu-engine.js';

process.once('message', (request: CalibrationRequest) => {
  const debug: string[] = [];
  void (async (): Promise<CalibrationAnswer> => {
    try {
      const { engine, choice } = await chooseCpuEngine(request.bytes, { ...request.options, onDebug: (m) => debug.push(m) });
      engine.dispose();
      return { ok: true, chosen: choice.chosen, debug };
    } catch (err) {
      return { ok: false, error: errorMessage(err), debug };
    }
  })().then((answer) => process.send!(answer, () => process.exit(0)));
});

/**
 * Does a loaded model fit the task its pipeline serves? Run on the new runner before a swap switches to it, so a
 * detector never replaces a classifier (subscribers would get results of another shape) and a model whose outputs
 * the task cannot decode never starts serving.
 */
import { inferTask } from '../tasks/auto.js';
import { errorMessage } from '../errors.js';
import type { AudioModelRunner } from './audio-model-runner.js';
import { ModelRunner, TaskMismatchError } from './model-runner.js';
import type { ActiveModel } from './active-model.js';

const PROBE_SIDE = 64;

export async function checkTaskFit(runner: ModelRunner | AudioModelRunner, model: ActiveModel, pipeline: string, required: string | undefined): Promise<void> {
  if (required !== undefined && runner.task !== required) {
    throw new TaskMismatchError(`${model.id} is a ${runner.task} model; pipeline ${pipeline} serves ${required}`);
  }
  if (!(runner instanceof ModelRunner)) return;
  const outputs = runner.engine.outputs.map((o) => ({ shape: [...o.shape], dtype: o.dtype }));
  const ops = Object.keys(runner.opened.fileInfo.opHistogram).map((k) => k.replace(/^custom:/, ''));
  const looksLike = inferTask(outputs, ops);
  if (looksLike !== undefined && looksLike !== runner.task) {
    throw new TaskMismatchError(
      `${model.id}'s outputs (${outputs.map((o) => `${o.dtype}[${o.shape.join(',')}]`).join(', ')}) are a ${looksLike} model's; ` +
        `pipeline ${pipeline} serves ${runner.task}`,
    );
  }
  // One gray frame through preprocess, invoke and the task's decoder: outputs it cannot decode fail here.
  try {
    await runner.inferRaw({ data: Buffer.alloc(PROBE_SIDE * PROBE_SIDE * 3, 128), width: PROBE_SIDE, height: PROBE_SIDE, channels: 3 });
  } catch (err) {
    throw new TaskMismatchError(`${model.id} cannot serve ${runner.task} in pipeline ${pipeline}: ${errorMessage(err)}`);
  }
}

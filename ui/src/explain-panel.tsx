/**
 * "Explain this frame": a saliency map of the frame the pipeline last inferred (POST /api/explain?frame=latest), on
 * the pipeline's own model and engine, behind its live frames. Classifiers: a class of the current result;
 * detectors: one of its objects.
 */
import { useEffect, useState } from 'preact/hooks';
import type { TaskResult } from './api.js';

interface Props {
  pipeline: string;
  task: string | undefined;
  result: TaskResult | undefined;
}

const EXPLAINABLE = new Set(['classify', 'detect', 'face']);

export function ExplainPanel({ pipeline, task, result }: Props) {
  const [target, setTarget] = useState('0');
  const [state, setState] = useState<{ busy: boolean; error?: string; url?: string; note?: string }>({ busy: false });
  useEffect(() => () => state.url && URL.revokeObjectURL(state.url), [state.url]);
  if (!task || !EXPLAINABLE.has(task)) return null;
  const options =
    task === 'classify'
      ? (result?.classes ?? []).slice(0, 5).map((c, i) => ({ value: String(c.id ?? i), text: `${c.label} ${c.score?.toFixed(2) ?? ''}` }))
      : (result?.objects ?? []).map((o, i) => ({ value: String(i), text: `#${i} ${o.label ?? 'object'} ${o.score.toFixed(2)}` }));
  // The frame changes under the page: keep the choice while it is still offered, else take the first.
  const chosen = options.some((o) => o.value === target) ? target : (options[0]?.value ?? '0');
  const run = async (): Promise<void> => {
    setState({ busy: true });
    const param = task === 'classify' ? `class=${encodeURIComponent(chosen)}` : `object=${encodeURIComponent(chosen)}`;
    const started = performance.now();
    try {
      const res = await fetch(`/api/explain?pipeline=${encodeURIComponent(pipeline)}&frame=latest&${param}&masks=300`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { accept: 'image/png' },
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        setState({ busy: false, error: body.error ?? `${res.status} ${res.statusText}` });
        return;
      }
      const url = URL.createObjectURL(await res.blob());
      setState({ busy: false, url, note: `peak at ${res.headers.get('x-edgerun-peak') ?? '?'} · ${((performance.now() - started) / 1000).toFixed(1)} s` });
    } catch (err) {
      setState({ busy: false, error: String(err) });
    }
  };
  return (
    <section class="explain">
      <h2>Why?</h2>
      <p class="muted">RISE on the current frame, 300 masks, on this pipeline's engine behind its live frames.</p>
      <div class="explain-controls">
        <select value={chosen} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)} aria-label="what to explain">
          {options.length === 0 && <option value="0">{task === 'classify' ? 'top class' : 'first object'}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.text}
            </option>
          ))}
        </select>
        <button type="button" disabled={state.busy} onClick={() => void run()}>
          {state.busy ? 'explaining…' : 'Explain this frame'}
        </button>
      </div>
      {state.error && <p class="error">{state.error}</p>}
      {state.url && (
        <figure>
          <img class="explain-map" src={state.url} alt={`saliency map for ${pipeline}`} />
          <figcaption class="muted">{state.note}</figcaption>
        </figure>
      )}
    </section>
  );
}

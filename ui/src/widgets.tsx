/** Small pieces the pages share: engine badge, top-class bars, level meter, keyword ticker. */
import type { ActiveModel, EventMessage, PipelineStatus, TaskResult } from './api.js';

export function engineLabel(m: ActiveModel | undefined): string {
  if (!m) return 'no model';
  if (m.engine === 'edgetpu') return 'Edge TPU';
  if (m.engine === 'onnx') return 'CPU · ONNX Runtime';
  return `CPU · ${m.engineVariant ?? 'TFLite'}`;
}

/** A CPU model whose reason names a TPU failure is running as the TPU's fallback. */
export function isFallback(m: ActiveModel | undefined): boolean {
  return !!m && m.engine !== 'edgetpu' && /TPU (failed|error)|fell back|fallback/i.test(m.reason);
}

export function EngineBadge({ model }: { model: ActiveModel | undefined }) {
  const tpu = model?.engine === 'edgetpu';
  return (
    <span class={`badge ${tpu ? 'tpu' : 'cpu'}${isFallback(model) ? ' fallback' : ''}`} title={model?.reason ?? ''}>
      {engineLabel(model)}
      {isFallback(model) ? ' (fallback)' : ''}
    </span>
  );
}

export function ClassBars({ result, max = 3 }: { result: TaskResult | undefined; max?: number }) {
  const classes = (result?.classes ?? []).slice(0, max);
  if (classes.length === 0) return null;
  return (
    <ol class="bars">
      {classes.map((c) => {
        const v = c.score ?? c.pixelShare ?? 0;
        // Segmentation shares are the mask's legend: the daemon draws each class in its VOC colour.
        const legend = c.pixelShare !== undefined && c.id !== undefined ? { background: `rgb(${vocColour(c.id).join(',')})` } : {};
        return (
          <li key={c.label}>
            <span class="bar" style={{ width: `${Math.round(v * 100)}%`, ...legend }} />
            <span class="bar-label">
              {c.label} <b>{Math.round(v * 100)}%</b>
            </span>
          </li>
        );
      })}
    </ol>
  );
}

export function LevelMeter({ db }: { db: number | undefined }) {
  const share = db === undefined ? 0 : Math.min(1, Math.max(0, (db + 60) / 60));
  return (
    <div class="meter" role="meter" aria-valuemin={-60} aria-valuemax={0} aria-valuenow={db ?? -90} aria-label="audio level">
      <span style={{ width: `${Math.round(share * 100)}%` }} />
      <small>{db === undefined ? 'no audio yet' : `${db.toFixed(1)} dBFS`}</small>
    </div>
  );
}

export function KeywordTicker({ events }: { events: EventMessage[] }) {
  const words = events.filter((e) => e.type === 'keyword').slice(-6).reverse();
  return (
    <ul class="ticker" aria-label="keywords heard">
      {words.length === 0 ? <li class="muted">no keyword yet</li> : words.map((e, i) => <li key={`${e.time}-${i}`}>{e.label} <small>{Math.round((e.score ?? 0) * 100)}%</small></li>)}
    </ul>
  );
}

export function Stats({ p }: { p: PipelineStatus }) {
  return (
    <dl class="stats">
      <dt>fps</dt>
      <dd>{p.fps?.toFixed(1) ?? '–'}</dd>
      <dt>invoke</dt>
      <dd>{p.invokeMs?.p50 != null ? `${p.invokeMs.p50.toFixed(1)} ms` : '–'}</dd>
      <dt>state</dt>
      <dd>{p.state}{p.stalled ? ' (stalled)' : ''}</dd>
    </dl>
  );
}

/** The PASCAL VOC colour map, as the daemon's mask overlay uses it (src/tasks/segment-mask.ts). */
export function vocColour(id: number): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  let c = id;
  for (let bit = 7; bit >= 0; bit--) {
    r |= (c & 1) << bit;
    g |= ((c >> 1) & 1) << bit;
    b |= ((c >> 2) & 1) << bit;
    c >>= 3;
  }
  return [r, g, b];
}

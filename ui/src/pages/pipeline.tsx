/**
 * Pipeline: the live view large with overlay toggles; fps, invoke p50/p99 and dropped frames over the last ten
 * minutes (the daemon's ring buffer); recent events; the model's card; the TPU↔CPU fallback history.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type EventMessage, type PipelineStatus, type ResultMessage } from '../api.js';
import { Chart } from '../chart.js';
import { ExplainPanel } from '../explain-panel.js';
import { LiveView } from '../live-view.js';
import { ALL_ON, type OverlayToggles } from '../overlay.js';
import { ClassBars, EngineBadge, KeywordTicker, LevelMeter, Stats } from '../widgets.js';

interface History {
  sampleMs: number;
  samples: { t: number; fps: number; invokeP50: number | null; invokeP99: number | null; dropped: number }[];
  events: EventMessage[];
  models: { at: string; model: string; engine: string; engineVariant?: string; reason: string }[];
}

export function PipelinePage({ p, events, catalogIds, onUnauthorized }: { p: PipelineStatus | undefined; events: EventMessage[]; catalogIds: Set<string>; onUnauthorized: () => void }) {
  const [toggles, setToggles] = useState<OverlayToggles>(ALL_ON);
  const [history, setHistory] = useState<History | undefined>();
  const [result, setResult] = useState<ResultMessage | undefined>();
  const id = p?.id;
  useEffect(() => {
    if (!id) return;
    let stopped = false;
    const load = (): void =>
      void api<History>(`/api/pipelines/${encodeURIComponent(id)}/history`)
        .then((h) => !stopped && setHistory(h))
        .catch(() => undefined);
    load();
    const timer = setInterval(load, 5000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [id]);
  if (!p) return <p class="muted">No such pipeline (it may have been removed by a reload).</p>;
  const samples = history?.samples ?? [];
  const recent = [...(history?.events ?? []), ...events.filter((e) => e.pipeline === p.id)].slice(-15).reverse();
  const toggle = (k: keyof OverlayToggles) => setToggles({ ...toggles, [k]: !toggles[k] });
  const audio = p.media === 'audio';
  return (
    <div class="pipeline-page">
      <header class="page-head">
        <h1>{p.id}</h1>
        <EngineBadge model={p.model} />
        <Stats p={p} />
      </header>
      {audio ? (
        <div class="audio big">
          <LevelMeter db={p.audioLevelDb} />
          <KeywordTicker events={events.filter((e) => e.pipeline === p.id)} />
        </div>
      ) : (
        <>
          <div class="toggles">
            {(Object.keys(toggles) as (keyof OverlayToggles)[]).map((k) => (
              <label key={k}>
                <input type="checkbox" checked={toggles[k]} onChange={() => toggle(k)} /> {k}
              </label>
            ))}
          </div>
          <div class="big-view">
            <LiveView pipeline={p.id} annotate={p.model?.task === 'segment'} toggles={toggles} onFrame={(f) => setResult(f.result)} onUnauthorized={onUnauthorized} />
          </div>
          <ClassBars result={result?.result} max={5} />
          <ExplainPanel pipeline={p.id} task={p.model?.task} result={result?.result} />
        </>
      )}
      <section class="charts">
        <h2>Last 10 minutes <small class="muted">(a sample every {((history?.sampleMs ?? 5000) / 1000).toFixed(0)} s)</small></h2>
        <Chart title="fps" unit="" series={[{ name: 'fps', colour: '#2a7', values: samples.map((s) => s.fps) }]} />
        <Chart
          title="invoke"
          unit=" ms"
          series={[
            { name: 'p50', colour: '#27c', values: samples.map((s) => s.invokeP50) },
            { name: 'p99', colour: '#c52', values: samples.map((s) => s.invokeP99) },
          ]}
        />
        <Chart title="dropped" unit="" series={[{ name: 'frames', colour: '#a5a', values: samples.map((s) => s.dropped) }]} />
      </section>
      <section>
        <h2>Recent events</h2>
        {recent.length === 0 ? (
          <p class="muted">none yet</p>
        ) : (
          <ul class="events">
            {recent.map((e, i) => (
              <li key={i}>
                <b>{e.type}</b> {e.label ?? e.keyword} {e.score !== undefined ? `${Math.round(e.score * 100)}%` : ''} <small class="muted">{e.time ?? e.startTime ?? ''}</small>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>Engine history</h2>
        <p class="muted">Every model change of this pipeline since the daemon started: swaps, rollbacks and Edge TPU ↔ CPU fallbacks.</p>
        <table class="grid">
          <thead>
            <tr>
              <th>at</th>
              <th>model</th>
              <th>engine</th>
              <th>why</th>
            </tr>
          </thead>
          <tbody>
            {(history?.models ?? []).map((m, i) => (
              <tr key={i}>
                <td>{m.at.replace('T', ' ').slice(0, 19)}</td>
                <td>{m.model}</td>
                <td>{m.engine}{m.engineVariant ? ` (${m.engineVariant})` : ''}</td>
                <td>{m.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Model card</h2>
        {p.model && catalogIds.has(p.model.id) ? (
          <iframe class="card" title={`model card of ${p.model.id}`} src={`/api/models/${encodeURIComponent(p.model.id)}/card?format=html`} />
        ) : (
          <p class="muted">{p.model ? `${p.model.id} is not in the model catalog, so it has no card (edgerun models import FILE --as ID gives it one).` : 'no model'}</p>
        )}
      </section>
    </div>
  );
}

/** Live: a tile per pipeline, its frames with overlays drawn client-side, fps, invoke ms and the engine. */
import { useState } from 'preact/hooks';
import type { EventMessage, PipelineStatus, ResultMessage } from '../api.js';
import { LiveView } from '../live-view.js';
import { ClassBars, EngineBadge, KeywordTicker, LevelMeter, Stats } from '../widgets.js';

export function LivePage({ pipelines, events, onUnauthorized }: { pipelines: PipelineStatus[]; events: EventMessage[]; onUnauthorized: () => void }) {
  if (pipelines.length === 0) return <p class="muted">No pipeline is running. Add one to the config and reload (systemctl reload edgerun).</p>;
  return (
    <div class="tiles">
      {pipelines.map((p) => (
        <Tile key={p.id} p={p} events={events.filter((e) => e.pipeline === p.id)} onUnauthorized={onUnauthorized} />
      ))}
    </div>
  );
}

function Tile({ p, events, onUnauthorized }: { p: PipelineStatus; events: EventMessage[]; onUnauthorized: () => void }) {
  const [result, setResult] = useState<ResultMessage | undefined>();
  const audio = p.media === 'audio';
  return (
    <section class="tile" data-pipeline={p.id}>
      <header>
        <a href={`#/pipeline/${encodeURIComponent(p.id)}`}>
          <h2>{p.id}</h2>
        </a>
        <EngineBadge model={p.model} />
      </header>
      {audio ? (
        <div class="audio">
          <LevelMeter db={p.audioLevelDb} />
          <KeywordTicker events={events} />
        </div>
      ) : (
        <LiveView pipeline={p.id} annotate={p.model?.task === 'segment'} onFrame={(f) => setResult(f.result)} onUnauthorized={onUnauthorized} />
      )}
      {!audio && <ClassBars result={result?.task === 'classify' || result?.task === 'segment' ? result.result : undefined} />}
      <footer>
        <span class="model" data-model={p.model?.id ?? ''}>{p.model?.id ?? '—'}</span>
        <Stats p={p} />
      </footer>
      {p.error && <p class="error">{p.error}</p>}
    </section>
  );
}

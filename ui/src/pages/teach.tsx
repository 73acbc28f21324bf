/**
 * Teach: new classes from the live camera. Type a label, capture the next N frames (their embeddings and thumbnails
 * are kept on the daemon), see what was collected, apply: the daemon grows the served model by weight imprinting,
 * stores it with its card and swaps it in through the ordinary swap path (rollback on the Models page undoes it).
 * Works on pipelines serving a model `edgerun learn` wrote (an embedding extractor with an imprinted head).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, postJson, type PipelineStatus, type ResultMessage } from '../api.js';
import { LiveView } from '../live-view.js';
import { ClassBars, EngineBadge } from '../widgets.js';

interface Collected {
  pipeline: string;
  classes: { label: string; examples: number; thumbnails: string[] }[];
}

interface Applied {
  model: { id: string; sha256: string; labels: string[] };
  answer: { ok: boolean; error?: { code: string; message: string } };
}

export function TeachPage({ pipelines, selected, onUnauthorized }: { pipelines: PipelineStatus[]; selected: string | undefined; onUnauthorized: () => void }) {
  const images = pipelines.filter((p) => p.media !== 'audio' && p.model?.task === 'classify');
  const p = images.find((x) => x.id === selected) ?? images[0];
  const [label, setLabel] = useState('');
  const [frames, setFrames] = useState(5);
  const [collected, setCollected] = useState<Collected | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [result, setResult] = useState<ResultMessage | undefined>();
  const id = p?.id;
  const reload = (): void => {
    if (id) void api<Collected>(`/api/pipelines/${encodeURIComponent(id)}/learn`).then(setCollected, () => undefined);
  };
  useEffect(reload, [id]);
  if (!p || !id) return <p class="muted">No classification pipeline is running. Teaching needs one serving a model that `edgerun learn` wrote.</p>;
  const base = `/api/pipelines/${encodeURIComponent(id)}/learn`;
  const act = async (what: string, run: () => Promise<string>): Promise<void> => {
    setBusy(what);
    setMessage(undefined);
    try {
      setMessage({ ok: true, text: await run() });
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(undefined);
      reload();
    }
  };
  const capture = (): Promise<void> =>
    act('capture', async () => {
      const r = await postJson<{ label: string; added: number; examples: number }>(base, { label, frames });
      return `captured ${r.added} frames of "${r.label}" (${r.examples} in all)`;
    });
  const apply = (): Promise<void> =>
    act('apply', async () => {
      const res = await fetch(`${base}/apply`, { method: 'POST', credentials: 'same-origin' });
      const body = (await res.json()) as Applied & { error?: string };
      if (!res.ok && !body.answer) throw new Error(body.error ?? `${res.status}`);
      if (!body.answer.ok) throw new Error(`${body.answer.error?.message ?? 'the swap was refused'} — the new model ${body.model.id} (sha256 ${body.model.sha256}) is stored; sign a swap for it to serve it`);
      return `now serving ${body.model.id}: ${body.model.labels.join(', ')}`;
    });
  const drop = (which?: string): Promise<void> =>
    act('delete', async () => {
      const r = await api<{ removed: number }>(`${base}${which ? `?label=${encodeURIComponent(which)}` : ''}`, { method: 'DELETE' });
      return `removed ${r.removed} examples`;
    });
  const classes = collected?.classes.filter((c) => c.examples > 0) ?? [];
  return (
    <div class="teach-page">
      <header class="page-head">
        <h1>Teach {id}</h1>
        <EngineBadge model={p.model} />
        {images.length > 1 && (
          <select value={id} onChange={(e) => (location.hash = `#/teach/${encodeURIComponent((e.target as HTMLSelectElement).value)}`)} aria-label="pipeline">
            {images.map((x) => (
              <option key={x.id} value={x.id}>
                {x.id}
              </option>
            ))}
          </select>
        )}
      </header>
      <div class="big-view">
        <LiveView pipeline={id} onFrame={(f) => setResult(f.result)} onUnauthorized={onUnauthorized} />
      </div>
      <ClassBars result={result?.result} max={3} />
      <form
        class="teach-form"
        onSubmit={(e) => {
          e.preventDefault();
          void capture();
        }}
      >
        <label>
          label <input name="label" value={label} maxLength={64} required onInput={(e) => setLabel((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          frames <input name="frames" type="number" min={1} max={100} value={frames} onInput={(e) => setFrames(Number((e.target as HTMLInputElement).value))} />
        </label>
        <button type="submit" disabled={!!busy || label.trim() === ''}>
          {busy === 'capture' ? 'capturing…' : 'Capture'}
        </button>
      </form>
      {message && <p class={message.ok ? 'ok' : 'error'}>{message.text}</p>}
      <section class="collected">
        <h2>Collected</h2>
        {classes.length === 0 && <p class="muted">nothing yet</p>}
        {classes.map((c) => (
          <div class="collected-class" key={c.label} data-label={c.label}>
            <h3>
              {c.label} <small class="muted">{c.examples} examples</small>{' '}
              <button type="button" disabled={!!busy} onClick={() => void drop(c.label)}>
                delete
              </button>
            </h3>
            <div class="thumbs">
              {c.thumbnails.map((t) => (
                <img key={t} src={`${base}/thumbnail?name=${encodeURIComponent(t)}`} alt={c.label} width={64} height={64} />
              ))}
            </div>
          </div>
        ))}
        <button type="button" class="apply" disabled={!!busy || classes.length === 0} onClick={() => void apply()}>
          {busy === 'apply' ? 'applying…' : 'Apply: teach the model these classes'}
        </button>
        <p class="muted">
          Apply stores the new model with its card and swaps it in like any swap: unsigned only from this machine when{' '}
          <code>trust.allowUnsignedLocal</code> is set, otherwise the page shows the sha256 to sign a swap for.
        </p>
      </section>
    </div>
  );
}

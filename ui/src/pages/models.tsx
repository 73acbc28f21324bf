/**
 * Models: the catalog with what the store holds, cards, and swap / rollback per pipeline. Commands go through the
 * same route, command path and trust rules as any HTTP client (POST /api/pipelines/:id/model).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, postJson, type DaemonStatus } from '../api.js';

export interface CatalogEntry {
  id: string;
  task: string;
  name: string;
  files: { role: string; name: string; state: string; size: number }[];
}
export interface ModelsView {
  catalog: CatalogEntry[];
  store: { sha256: string; name: string; size: number }[];
}

interface Answer {
  ok: boolean;
  error?: { code: string; message: string };
  model?: { id: string; engine: string };
}

export function ModelsPage({ status, models, reload }: { status: DaemonStatus | undefined; models: ModelsView | undefined; reload: () => void }) {
  const [card, setCard] = useState<string | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [signed, setSigned] = useState('');
  const [busy, setBusy] = useState(false);
  const pipelines = (status?.pipelines ?? []).filter((p) => p.model);
  useEffect(reload, []);

  const run = async (what: string, f: () => Promise<Answer>): Promise<void> => {
    setBusy(true);
    setMessage(undefined);
    try {
      const a = await f();
      setMessage(a.ok ? { ok: true, text: `${what}: ${a.model?.id ?? ''} now serving on ${a.model?.engine ?? ''}` } : { ok: false, text: `${what} refused: ${a.error?.message ?? ''}` });
    } catch (err) {
      setMessage({ ok: false, text: `${what} refused: ${err instanceof ApiError ? `${err.message} (${err.code ?? err.status})` : String(err)}` });
    } finally {
      setBusy(false);
      reload();
    }
  };
  const swap = (pipeline: string, catalog: string) =>
    run(`swap ${pipeline} to ${catalog}`, () => postJson<Answer>(`/api/pipelines/${encodeURIComponent(pipeline)}/model`, { v: 1, action: 'swap', device: status?.device.id, pipeline, model: { catalog } }));
  const rollback = (pipeline: string) => run(`rollback of ${pipeline}`, () => postJson<Answer>(`/api/pipelines/${encodeURIComponent(pipeline)}/model/rollback`));
  const sendSigned = () => {
    let body: { pipeline?: string };
    try {
      body = JSON.parse(signed) as { pipeline?: string };
    } catch {
      setMessage({ ok: false, text: 'the signed command is not JSON: paste what edgerun sign printed' });
      return;
    }
    const p = body.pipeline ?? '';
    void run(`signed command for ${p}`, () => postJson<Answer>(`/api/pipelines/${encodeURIComponent(p)}/model`, body));
  };

  return (
    <div class="models-page">
      <h1>Models</h1>
      <section class="note">
        <p>
          Swaps and rollbacks here are the same commands as <code>POST /api/pipelines/ID/model</code>. An unsigned command is accepted only from this
          machine (a loopback browser) and only when the config says <code>trust: {'{'} allowUnsignedLocal: true {'}'}</code>. Anywhere else, sign it with a
          key the config trusts — <code>edgerun sign --key KEY --device {status?.device.id ?? 'DEVICE'} --pipeline P --catalog MODEL</code> — and paste the
          output below.
        </p>
      </section>
      {message && <p class={message.ok ? 'ok' : 'error'} role="status">{message.text}</p>}
      <section>
        <h2>Pipelines</h2>
        <table class="grid">
          <thead>
            <tr>
              <th>pipeline</th>
              <th>model</th>
              <th>engine</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pipelines.map((p) => (
              <tr key={p.id} data-pipeline={p.id}>
                <td>{p.id}</td>
                <td class="model">{p.model?.id}</td>
                <td>{p.model?.engine}</td>
                <td>
                  <button disabled={busy} onClick={() => void rollback(p.id)}>
                    Roll back
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Catalog</h2>
        <div class="cards">
          {(models?.catalog ?? []).map((m) => {
            const installed = m.files.some((f) => f.role !== 'labels' && f.state === 'installed');
            const fits = pipelines.filter((p) => p.model?.task === m.task && p.model.id !== m.id);
            return (
              <article class="model-card" key={m.id} data-model={m.id}>
                <h3>{m.name}</h3>
                <p>
                  <code>{m.id}</code> · {m.task} · {installed ? 'in the store' : m.files.some((f) => f.state === 'downloadable') ? 'downloadable' : 'import only'}
                </p>
                <div class="actions">
                  <button onClick={() => setCard(card === m.id ? undefined : m.id)}>{card === m.id ? 'Hide card' : 'Card'}</button>
                  {fits.map((p) => (
                    <button key={p.id} disabled={busy} data-swap={`${p.id}:${m.id}`} onClick={() => void swap(p.id, m.id)}>
                      Swap {p.id} to this
                    </button>
                  ))}
                </div>
                {card === m.id && <iframe class="card" title={`model card of ${m.id}`} src={`/api/models/${encodeURIComponent(m.id)}/card?format=html`} />}
              </article>
            );
          })}
        </div>
      </section>
      <section>
        <h2>Signed command</h2>
        <textarea rows={5} value={signed} onInput={(e) => setSigned((e.target as HTMLTextAreaElement).value)} placeholder='{"v":1,"action":"swap",... "signature":"..."}' />
        <button disabled={busy || !signed.trim()} onClick={sendSigned}>
          Send
        </button>
      </section>
      <section>
        <h2>Store</h2>
        <table class="grid">
          <thead>
            <tr>
              <th>file</th>
              <th>bytes</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {(models?.store ?? []).map((f) => (
              <tr key={f.sha256}>
                <td>{f.name}</td>
                <td>{f.size}</td>
                <td class="hash">{f.sha256}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}

export const loadModels = (): Promise<ModelsView> => api<ModelsView>('/api/models');

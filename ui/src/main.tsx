/**
 * edgerun's web UI: Live, Pipeline, Models and Device pages over the daemon's own API (no other origin, no CDN).
 * Pages are listed in PAGES: later pages (Explain, Teach) add an entry there and a component.
 */
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, signIn, Unauthorized, whenUnauthorized, type DaemonStatus, type EventMessage } from './api.js';
import { DevicePage } from './pages/device.js';
import { LivePage } from './pages/live.js';
import { loadModels, ModelsPage, type ModelsView } from './pages/models.js';
import { PipelinePage } from './pages/pipeline.js';
import { TeachPage } from './pages/teach.js';
import './style.css';

interface NavEntry {
  path: string;
  title: string;
}

export const PAGES: NavEntry[] = [
  { path: 'live', title: 'Live' },
  { path: 'teach', title: 'Teach' },
  { path: 'models', title: 'Models' },
  { path: 'device', title: 'Device' },
];

const STATUS_POLL_MS = 1000;
const MAX_EVENTS = 100;

function useRoute(): string[] {
  const read = (): string[] => (location.hash.replace(/^#\/?/, '') || 'live').split('/').map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (): void => setRoute(read());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

function Login({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await signIn(token);
      setError(undefined);
      onDone();
    } catch {
      setError('wrong token');
    }
  };
  return (
    <form class="login" onSubmit={(e) => void submit(e)}>
      <h1>Sign in</h1>
      <p>This daemon asks for its API token (<code>http.token</code> in its config).</p>
      <input type="password" name="token" autoComplete="current-password" placeholder="token" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

function App() {
  const route = useRoute();
  const [status, setStatus] = useState<DaemonStatus | undefined>();
  const [online, setOnline] = useState(true);
  const [needLogin, setNeedLogin] = useState(false);
  const [events, setEvents] = useState<EventMessage[]>([]);
  const [models, setModels] = useState<ModelsView | undefined>();
  const [session, setSession] = useState(0);
  const unauthorized = useCallback(() => setNeedLogin(true), []);
  whenUnauthorized(unauthorized);

  useEffect(() => {
    if (needLogin) return;
    let stopped = false;
    const poll = async (): Promise<void> => {
      try {
        const s = await api<DaemonStatus>('/api/status');
        if (stopped) return;
        setStatus(s);
        setOnline(true);
      } catch (err) {
        if (!stopped && !(err instanceof Unauthorized)) setOnline(false);
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), STATUS_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [needLogin, session]);

  useEffect(() => {
    if (needLogin) return;
    const source = new EventSource('/api/events');
    const add = (e: MessageEvent<string>): void => {
      const m = JSON.parse(e.data) as EventMessage;
      setEvents((list) => [...list.slice(-(MAX_EVENTS - 1)), m]);
    };
    source.addEventListener('event', add);
    source.addEventListener('model', () => void loadModels().then(setModels, () => undefined));
    return () => source.close();
  }, [needLogin, session]);

  const reloadModels = useCallback(() => void loadModels().then(setModels, () => undefined), []);
  useEffect(() => {
    if (!needLogin) reloadModels();
  }, [needLogin, session]);

  if (needLogin) {
    return (
      <Login
        onDone={() => {
          setNeedLogin(false);
          setSession((n) => n + 1);
        }}
      />
    );
  }
  const pipelines = status?.pipelines ?? [];
  const page = route[0] ?? 'live';
  return (
    <>
      <nav class="top">
        <span class="brand">edgerun</span>
        <span class="device">{status?.device.name ?? status?.device.id ?? ''}</span>
        {PAGES.map((p) => (
          <a key={p.path} href={`#/${p.path}`} class={page === p.path ? 'active' : ''}>
            {p.title}
          </a>
        ))}
        <span class={`conn ${online ? 'up' : 'down'}`} data-online={online ? 'yes' : 'no'}>
          {online ? 'connected' : 'daemon unreachable, reconnecting…'}
        </span>
      </nav>
      <main>
        {page === 'live' && <LivePage pipelines={pipelines} events={events} onUnauthorized={unauthorized} />}
        {page === 'pipeline' && (
          <PipelinePage p={pipelines.find((p) => p.id === route[1])} events={events} catalogIds={new Set((models?.catalog ?? []).map((m) => m.id))} onUnauthorized={unauthorized} />
        )}
        {page === 'teach' && <TeachPage pipelines={pipelines} selected={route[1]} onUnauthorized={unauthorized} />}
        {page === 'models' && <ModelsPage status={status} models={models} reload={reloadModels} />}
        {page === 'device' && <DevicePage />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

/** Device: Edge TPUs, engines and the CPU choice table, memory, disk, outbox and broker state, version. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';

interface DeviceView {
  version: string;
  node: string;
  device: { id: string; name?: string };
  uptimeS: number;
  host: { hostname: string; arch: string; cpus: number; cpuModel: string; loadAvg: number[] };
  memory: { rssBytes: number; heapUsedBytes: number; totalBytes: number; freeBytes: number };
  disk: { path: string; totalBytes?: number; freeBytes?: number; error?: string };
  mqtt: Record<string, unknown>;
  report: {
    tflite: { available: boolean; version?: string; cpuVariants?: string[]; error?: string };
    wasm: { available: boolean; version?: string };
    onnx: { available: boolean; version?: string };
    edgetpu: { available: boolean; version?: string; devices: { type: string; path: string }[]; reason?: string };
    engines: string[];
    cpuChoices: { file: string; models: { sha256: string; chosen: string; decidedAt: string }[] };
    cameras: { path: string; name?: string }[];
    camerasNote?: string;
    audioCapture: { device: string; name?: string }[];
    audioNote?: string;
  };
  pipelines: { id: string; state: string; model?: { id: string; sha256: string; engine: string; choice?: { chosen: string; how: string; candidates?: { id: string; p50Ms?: number; agrees: boolean; note?: string }[] } } }[];
}

const mb = (b: number | undefined): string => (b === undefined ? '–' : `${(b / 1048576).toFixed(0)} MB`);

export function DevicePage() {
  const [d, setD] = useState<DeviceView | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    api<DeviceView>('/api/device').then(setD, (e: unknown) => setError(String(e)));
  }, []);
  if (error) return <p class="error">{error}</p>;
  if (!d) return <p class="muted">probing the device…</p>;
  const r = d.report;
  return (
    <div class="device-page">
      <h1>Device {d.device.name ?? d.device.id}</h1>
      <div class="facts">
        <section>
          <h2>edgerun</h2>
          <dl>
            <dt>version</dt>
            <dd>{d.version} (Node {d.node})</dd>
            <dt>uptime</dt>
            <dd>{Math.round(d.uptimeS / 60)} min</dd>
            <dt>host</dt>
            <dd>{d.host.hostname}, {d.host.arch}, {d.host.cpus} × {d.host.cpuModel}</dd>
            <dt>load</dt>
            <dd>{d.host.loadAvg.map((l) => l.toFixed(2)).join(' ')}</dd>
          </dl>
        </section>
        <section>
          <h2>Edge TPU</h2>
          {r.edgetpu.available && r.edgetpu.devices.length > 0 ? (
            <ul>{r.edgetpu.devices.map((t) => <li key={t.path}>{t.type} {t.path}</li>)}</ul>
          ) : (
            <p class="muted">{r.edgetpu.available ? 'libedgetpu loads, but no Edge TPU is attached' : `none: ${r.edgetpu.reason ?? 'libedgetpu not available'}`}</p>
          )}
          <dl>
            <dt>engines</dt>
            <dd>{r.engines.join(', ')}</dd>
            <dt>TFLite</dt>
            <dd>{r.tflite.available ? `${r.tflite.version ?? ''} (${(r.tflite.cpuVariants ?? []).join(', ')})` : r.tflite.error}</dd>
            <dt>WASM</dt>
            <dd>{r.wasm.available ? r.wasm.version : 'no'}</dd>
            <dt>ONNX Runtime</dt>
            <dd>{r.onnx.available ? (r.onnx.version ?? 'yes') : 'no'}</dd>
          </dl>
        </section>
        <section>
          <h2>Memory and disk</h2>
          <dl>
            <dt>daemon RSS</dt>
            <dd>{mb(d.memory.rssBytes)} (heap {mb(d.memory.heapUsedBytes)})</dd>
            <dt>machine</dt>
            <dd>{mb(d.memory.freeBytes)} free of {mb(d.memory.totalBytes)}</dd>
            <dt>state dir</dt>
            <dd>{d.disk.error ?? `${mb(d.disk.freeBytes)} free of ${mb(d.disk.totalBytes)}`} <small class="muted">{d.disk.path}</small></dd>
          </dl>
        </section>
        <section>
          <h2>MQTT</h2>
          <dl>
            {Object.entries(d.mqtt)
              .filter(([, v]) => typeof v !== 'object')
              .map(([k, v]) => [<dt key={`k${k}`}>{k}</dt>, <dd key={`v${k}`}>{String(v)}</dd>])}
          </dl>
        </section>
      </div>
      <section>
        <h2>CPU engine choice</h2>
        <p class="muted">Each pipeline's CPU runtime, picked by measurement (only runtimes whose outputs agree with TFLite's built-in kernels may win).</p>
        <table class="grid">
          <thead>
            <tr>
              <th>pipeline</th>
              <th>model</th>
              <th>chosen</th>
              <th>candidates (p50 ms)</th>
            </tr>
          </thead>
          <tbody>
            {d.pipelines.map((p) => (
              <tr key={p.id}>
                <td>{p.id}</td>
                <td>{p.model?.id ?? '–'}</td>
                <td>{p.model?.choice ? `${p.model.choice.chosen} (${p.model.choice.how})` : (p.model?.engine ?? '–')}</td>
                <td>{(p.model?.choice?.candidates ?? []).map((c) => `${c.id} ${c.p50Ms?.toFixed(2) ?? ''}${c.agrees ? '' : ' ✗'}`).join(', ') || '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Capture devices</h2>
        <p>Cameras: {r.cameras.length ? r.cameras.map((c) => c.name ?? c.path).join(', ') : (r.camerasNote ?? 'none')}</p>
        <p>Microphones: {r.audioCapture.length ? r.audioCapture.map((a) => a.name ?? a.device).join(', ') : (r.audioNote ?? 'none')}</p>
      </section>
    </div>
  );
}

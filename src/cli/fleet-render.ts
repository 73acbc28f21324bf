/** Tables of `edgerun fleet`: the device table of `status`, a rollout's progress (redrawn in place on a terminal). */
import type { DeviceView, HistoryEntry } from '../fleet/controller.js';
import type { DeviceProgress } from '../fleet/rollout.js';

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}

function ago(ms: number | undefined, now: number): string {
  if (ms === undefined) return '-';
  const s = Math.round((now - ms) / 1000);
  return s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
}

export function statusTable(devices: DeviceView[], now = Date.now()): string {
  const rows: string[][] = [];
  for (const d of devices) {
    const pipelines = Object.entries(d.state?.pipelines ?? {});
    const deployment = d.state?.deploymentId ? `${d.state.deploymentId} (${d.state.source ?? '?'})` : '-';
    const refused = d.state?.refused[0] ? ` refused ${d.state.refused[0].code}` : '';
    if (pipelines.length === 0) rows.push([d.id, d.online === undefined ? '?' : d.online ? 'yes' : 'no', '-', '-', '-', '-', ago(d.lastSeen, now), deployment + refused]);
    for (const [id, p] of pipelines) {
      rows.push([
        d.id,
        d.online === undefined ? '?' : d.online ? 'yes' : 'no',
        id,
        p.model ? `${p.model.id} ${p.model.sha256.slice(0, 8)}` : '-',
        p.model?.engine ?? '-',
        d.fps[id] !== undefined ? String(d.fps[id]) : '-',
        ago(d.lastSeen, now),
        `${p.state}${p.error ? ` ${p.error.code}` : ''} ${deployment}${refused}`,
      ]);
    }
  }
  return table(['device', 'online', 'pipeline', 'model', 'engine', 'fps', 'last seen', 'state'], rows);
}

export function progressTable(progress: DeviceProgress[]): string {
  return table(
    ['stage', 'device', 'step', 'detail'],
    progress.map((p) => [p.stage === 0 ? 'canary' : `wave ${p.stage}`, p.device, p.step, p.detail ?? '']),
  );
}

export function historyTable(entries: HistoryEntry[]): string {
  return table(
    ['at', 'deployment', 'seq', 'kind', 'outcome', 'pipelines', 'detail'],
    entries.map((e) => [
      e.at,
      e.deploymentId,
      String(e.seq),
      e.kind,
      e.outcome,
      Object.entries(e.pipelines)
        .map(([k, v]) => `${k}=${'catalog' in v.model ? v.model.catalog : v.model.sha256.slice(0, 12)}`)
        .join(' '),
      e.detail ?? '',
    ]),
  );
}

/** Redraws a block in place on a terminal; elsewhere prints it only when it changed. */
export class LiveBlock {
  private lines = 0;
  private last = '';

  constructor(private readonly out: NodeJS.WriteStream) {}

  draw(text: string): void {
    if (text === this.last) return;
    this.last = text;
    if (this.out.isTTY && this.lines > 0) this.out.write(`\x1b[${this.lines}A\x1b[J`);
    this.out.write(text);
    this.lines = text.split('\n').length - 1;
  }
}

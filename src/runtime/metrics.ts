/** GET /metrics: Prometheus text exposition (format 0.0.4) from the daemon's status. */
import type { PipelineStatus } from './pipeline.js';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(deviceId: string, pipelines: PipelineStatus[], process: { rssBytes: number; uptimeS: number }, outbox?: { queued: number; dropped: number; delivered: number; connected: boolean }): string {
  const per = (pick: (p: PipelineStatus) => number | null | undefined): Sample[] =>
    pipelines.flatMap((p) => {
      const v = pick(p);
      return v === null || v === undefined ? [] : [{ labels: { pipeline: p.id, model: p.model?.id ?? '', engine: p.model?.engine ?? '' }, value: v }];
    });
  const families: Family[] = [
    { name: 'edgerun_frames_in_total', help: 'Items delivered by the pipeline source.', type: 'counter', samples: per((p) => p.counters.framesIn) },
    { name: 'edgerun_frames_skipped_total', help: 'Items skipped by the pipeline fps limit.', type: 'counter', samples: per((p) => p.counters.skipped) },
    { name: 'edgerun_frames_dropped_total', help: 'Items replaced in the one-frame buffer before inference.', type: 'counter', samples: per((p) => p.counters.dropped) },
    { name: 'edgerun_inferences_total', help: 'Inferences completed.', type: 'counter', samples: per((p) => p.counters.inferred) },
    { name: 'edgerun_inference_errors_total', help: 'Inferences that failed.', type: 'counter', samples: per((p) => p.counters.errors) },
    { name: 'edgerun_inference_fps', help: 'Inferences per second over the last 10 s.', type: 'gauge', samples: per((p) => p.fps) },
    { name: 'edgerun_invoke_p50_seconds', help: 'Median model invoke time.', type: 'gauge', samples: per((p) => (p.invokeMs.p50 ?? NaN) / 1000) },
    { name: 'edgerun_invoke_p99_seconds', help: '99th percentile model invoke time.', type: 'gauge', samples: per((p) => (p.invokeMs.p99 ?? NaN) / 1000) },
    { name: 'edgerun_capture_to_publish_p99_seconds', help: '99th percentile capture-to-publish latency.', type: 'gauge', samples: per((p) => (p.latencyMs.p99 ?? NaN) / 1000) },
    { name: 'edgerun_source_restarts_total', help: 'Source process restarts.', type: 'counter', samples: per((p) => p.source.restarts) },
    { name: 'edgerun_process_resident_memory_bytes', help: 'Resident set size.', type: 'gauge', samples: [{ labels: {}, value: process.rssBytes }] },
    { name: 'edgerun_uptime_seconds', help: 'Seconds since the daemon started.', type: 'gauge', samples: [{ labels: {}, value: process.uptimeS }] },
  ];
  if (outbox) {
    families.push(
      { name: 'edgerun_mqtt_connected', help: '1 when connected to the broker.', type: 'gauge', samples: [{ labels: {}, value: outbox.connected ? 1 : 0 }] },
      { name: 'edgerun_outbox_queued', help: 'Messages waiting in the outbox.', type: 'gauge', samples: [{ labels: {}, value: outbox.queued }] },
      { name: 'edgerun_outbox_dropped_total', help: 'Messages dropped to keep the outbox within its bound.', type: 'counter', samples: [{ labels: {}, value: outbox.dropped }] },
      { name: 'edgerun_outbox_delivered_total', help: 'Messages acknowledged by the broker.', type: 'counter', samples: [{ labels: {}, value: outbox.delivered }] },
    );
  }
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = { device: deviceId, ...s.labels };
      const text = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      lines.push(`${f.name}{${text}} ${Number.isNaN(s.value) ? 'NaN' : s.value}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** What the daemon reports of itself (GET /api/status), and what the HTTP API needs of it. */
import type { PoolDeviceStatus } from '../delegates/index.js';
import type { Logger } from 'pino';
import type { DeploymentStateMessage } from '../fleet/deployment-state.js';
import type { DaemonConfig } from './config.js';
import type { StatsMessage } from './messages.js';
import type { DaemonMetrics } from './metrics.js';
import type { ModelLifecycle } from './model-lifecycle.js';
import type { Pipeline, PipelineStatus } from './pipeline.js';

export interface FailedPipeline {
  id: string;
  state: 'failed';
  error: string;
}

/** A running pipeline whose new config could not be applied by a reload: it keeps serving the old one. */
export type ServingPipeline = PipelineStatus & { reloadError?: string };

export interface DaemonStatus {
  version: string;
  device: DaemonConfig['device'];
  uptimeS: number;
  /** `tpuPool`: every Edge TPU the probe listed, its state, queue, inferences and failures. */
  engines: { tflite: 'cpu'; edgetpu: Record<string, unknown>; tpuQueue: number; tpuPool: PoolDeviceStatus[] };
  mqtt: Record<string, unknown>;
  pipelines: (ServingPipeline | FailedPipeline)[];
  /** With fleet.enabled: the deployment applied, per pipeline state and health, documents refused. */
  fleet?: DeploymentStateMessage;
}

/** The daemon as the HTTP API sees it. */
export interface ApiHost {
  readonly ready: boolean;
  readonly deviceId: string;
  readonly stateDir: string;
  readonly logger: Logger;
  readonly models: ModelLifecycle | undefined;
  /** GET /metrics. */
  readonly metrics: DaemonMetrics;
  status(): DaemonStatus;
  stats(): StatsMessage;
  pipeline(id: string): Pipeline | undefined;
  allPipelines(): Pipeline[];
}

/**
 * What a device reports, retained on `<prefix>/<device>/deployment/state` (schemas/deployment-state.v1.schema.json):
 * its groups, the deployment it applied and from which topic, and per pipeline the model it serves, the state
 * (`applied`, `pending`, `failed` + error) and the health summary of the last swap. Documents it refused are listed
 * with the reason, newest first.
 */
import type { HealthSummary } from './health.js';

export type PipelineDeploymentState = 'applied' | 'pending' | 'failed';

export interface PipelineReport {
  state: PipelineDeploymentState;
  model?: { id: string; sha256: string; engine: string };
  error?: { code: string; message: string };
  health?: HealthSummary;
  /** Whether reaching this deployment needed a swap (false: the pipeline already served the model). */
  swapped?: boolean;
}

export interface RefusedDocument {
  topic: string;
  deploymentId?: string;
  seq?: number;
  code: string;
  message: string;
  at: string;
}

export interface DeploymentStateMessage {
  v: 1;
  device: string;
  groups: string[];
  /** The document being applied or applied; absent before the first one. */
  deploymentId?: string;
  seq?: number;
  /** `device` or `group:<name>`: which retained document won. */
  source?: string;
  /** Set when every pipeline of the deployment is applied or failed. */
  settled: boolean;
  pipelines: Record<string, PipelineReport>;
  refused: RefusedDocument[];
  updatedAt: string;
}

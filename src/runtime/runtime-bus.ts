/**
 * The typed runtime bus: pipelines and the model lifecycle emit on it; outputs (MQTT, SSE, Home Assistant, model
 * cards) subscribe, each under its own name so it can be removed as a whole. A listener that throws is logged
 * and never reaches the emitter: one broken output cannot stop a pipeline or the other outputs.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { FrameMessage } from './frames/frame-message.js';
import type { EventMessage, ModelChangedMessage, ObjectCountMessage, PipelineStateMessage, ResultMessage, SnapshotMessage, StatsMessage } from './messages.js';

export interface RuntimeEvents {
  result: ResultMessage;
  event: EventMessage;
  modelChanged: ModelChangedMessage;
  pipelineState: PipelineStateMessage;
  stats: StatsMessage;
  /** Each inferred video/image frame with its result, for the frame hub (never leaves the process). */
  frame: FrameMessage;
  /** A count of objects in a zone (or the frame) changed. */
  count: ObjectCountMessage;
  /** A new event snapshot (JPEG). */
  snapshot: SnapshotMessage;
}

export type RuntimeEventName = keyof RuntimeEvents;
type Listener<K extends RuntimeEventName> = (message: RuntimeEvents[K]) => void;

interface Entry {
  owner: string;
  listener: (message: never) => void;
}

export class RuntimeBus {
  private readonly listeners = new Map<RuntimeEventName, Entry[]>();
  /** Listener failures, for status and tests. */
  failures = 0;

  constructor(private readonly log?: Logger) {}

  on<K extends RuntimeEventName>(event: K, owner: string, listener: Listener<K>): void {
    const list = this.listeners.get(event) ?? [];
    list.push({ owner, listener });
    this.listeners.set(event, list);
  }

  emit<K extends RuntimeEventName>(event: K, message: RuntimeEvents[K]): void {
    for (const { owner, listener } of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<K>)(message);
      } catch (err) {
        this.failures++;
        this.log?.error({ output: owner, event, err: errorMessage(err) }, 'an output failed to handle a message; the others got it');
      }
    }
  }

  /** Removes every listener `owner` registered. */
  off(owner: string): void {
    for (const [event, list] of this.listeners) this.listeners.set(event, list.filter((e) => e.owner !== owner));
  }

  owners(): string[] {
    return [...new Set([...this.listeners.values()].flatMap((l) => l.map((e) => e.owner)))];
  }
}

/** Shared pieces of the model swap tests: a store filled from ../shared/models, keys, signed commands, answers. */
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { loadCatalog } from '../../src/models/catalog.js';
import { importPaths } from '../../src/models/import.js';
import { ModelStore } from '../../src/models/model-store.js';
import type { CommandAnswer } from '../../src/runtime/model-lifecycle.js';
import { generateKeyPair } from '../../src/trust/keys.js';
import { signRequest } from '../../src/trust/signature.js';
import { sharedDir } from '../helpers/paths.js';
import type { Collector } from '../transport/mqtt-collector.js';

export interface TestKey {
  id: string;
  privateKey: KeyObject;
  /** The config line's value. */
  publicKey: string;
}

export function testKey(id: string): TestKey {
  const pair = generateKeyPair();
  return { id, privateKey: createPrivateKey(pair.privatePem), publicKey: pair.publicBase64 };
}

/** The air-gapped path: every catalog file in ../shared/models imported into the state dir's store. */
export async function importSharedModels(stateDir: string): Promise<void> {
  const outcomes = await importPaths(ModelStore.forStateDir(stateDir), loadCatalog(), [path.join(sharedDir, 'models')]);
  const bad = outcomes.filter((o) => o.status === 'mismatch' || o.status === 'error');
  if (bad.length > 0) throw new Error(`import failed: ${JSON.stringify(bad)}`);
}

export function command(device: string, pipeline: string, model: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    action: model ? 'swap' : 'rollback',
    device,
    pipeline,
    ...(model ? { model } : {}),
    correlationId: randomBytes(6).toString('hex'),
    ...extra,
  };
}

export function sign(cmd: Record<string, unknown>, key: TestKey, now?: number): Record<string, unknown> {
  return signRequest(cmd, key.privateKey, key.id, now);
}

/** The answer on cmd/result carrying `correlationId`. */
export async function answerFor(sub: Collector, topic: string, correlationId: string): Promise<CommandAnswer> {
  const find = (): CommandAnswer | undefined =>
    sub.messages
      .filter((m) => m.topic === topic)
      .map((m) => JSON.parse(m.payload.toString()) as CommandAnswer)
      .find((a) => a.correlationId === correlationId);
  await sub.waitFor(() => find() !== undefined);
  return find()!;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: CommandAnswer }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as CommandAnswer };
}

// The fleet's pure parts: the document schema file, signatures bound to their context, gates and stage plans.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploymentSchema, parseDeployment, signDeployment, verifyDeployment, type DeploymentDocument } from '../../src/fleet/deployment.js';
import { evaluateGate, parseGate, type HealthSummary } from '../../src/fleet/health.js';
import { planStages } from '../../src/fleet/rollout.js';
import { parsePublicKey } from '../../src/trust/keys.js';
import { signRequest } from '../../src/trust/signature.js';
import { repoRoot } from '../helpers/paths.js';
import { testKey } from '../runtime/model-swap-harness.js';

const key = testKey('ops');
const keys = new Map([['ops', parsePublicKey(key.publicKey, 'k')]]);
const body = { v: 1 as const, kind: 'deployment' as const, deploymentId: 'd1', seq: 5, issuedAt: 1, target: { group: 'lab' }, pipelines: { cls: { model: { catalog: 'mobilenet_v1_0.25_128_quant' } } } };

describe('deployment documents', () => {
  it('schemas/deployment.v1.schema.json is the schema the code validates with', () => {
    expect(JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'deployment.v1.schema.json'), 'utf8'))).toEqual(deploymentSchema);
  });

  it('verifies what it signed, for the target it names only', () => {
    const doc = signDeployment(body, key.privateKey, 'ops');
    expect(() => verifyDeployment(parseDeployment(JSON.stringify(doc), 't'), keys, { group: 'lab' }, 'dev')).not.toThrow();
    expect(() => verifyDeployment(doc, keys, { group: 'other' }, 'dev')).toThrow(/signed for group lab but arrived on the topic of group other/);
    expect(() => verifyDeployment({ ...doc, seq: 6 }, keys, { group: 'lab' }, 'dev')).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });

  it('a signed model command never passes as a document (another signature context)', () => {
    const cmd = signRequest({ ...body } as Record<string, unknown>, key.privateKey, 'ops');
    const asDoc = { ...body, issuer: 'ops', signature: cmd.signature } as DeploymentDocument;
    expect(() => verifyDeployment(asDoc, keys, { group: 'lab' }, 'dev')).toThrow(expect.objectContaining({ code: 'BAD_SIGNATURE' }));
  });

  it('names what is wrong in a malformed document', () => {
    expect(() => parseDeployment(JSON.stringify({ ...body, issuer: 'ops', signature: 'x', pipelines: { cls: { model: { catalog: 'a', sha256: 'b' } } } }), 'edgerun/x/deployment')).toThrow(
      /pipelines\.cls\.model must name one of its choices/,
    );
    expect(() => parseDeployment('{', 'edgerun/x/deployment')).toThrow(/on edgerun\/x\/deployment is not JSON/);
  });
});

describe('gates and stages', () => {
  const figures = (score: number, fps: number, errors = 0): HealthSummary['before'] => ({ frames: 5, errors, fps, invokeP50Ms: 10, meanTopScore: score, detectionsPerFrame: null });
  const health = (after: HealthSummary['after']): HealthSummary => {
    const before = figures(0.99, 1);
    return { windowS: 5, before, after, ratios: { fps: after.fps! / before.fps!, invokeP50: 1, score: after.meanTopScore! / before.meanTopScore! } };
  };

  it('fails the rule whose figure is out of bounds, with the figures', () => {
    const gate = parseGate('errors=0,fps>=0.9,score>=0.8');
    expect(evaluateGate(health(figures(0.95, 1)), gate).pass).toBe(true);
    const v = evaluateGate(health(figures(0.63, 1, 2)), gate);
    expect(v.failures).toHaveLength(2);
    expect(v.failures[0]).toMatch(/^errors=0 failed: 2 errors after the swap/);
    expect(v.failures[1]).toMatch(/^score>=0.8 failed: ratio 0.636, mean top score 0.63 after vs 0.99 before/);
    expect(() => parseGate('latency<3')).toThrow(/cannot read "latency<3"/);
  });

  it('plans canaries, then waves whose last size repeats', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `d${i}`);
    expect(planStages(ids, '1', ['3']).map((s) => s.length)).toEqual([1, 3, 3, 3]);
    expect(planStages(ids, '10%', ['50%']).map((s) => s.length)).toEqual([1, 5, 4]);
    expect(planStages(ids, '2', []).map((s) => s.length)).toEqual([2, 8]);
  });
});

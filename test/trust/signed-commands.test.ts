// Signed model commands: the canonical form, Ed25519 round trips with Node's crypto, and the laptop-side commands
// (`edgerun keys generate`, `edgerun sign`) whose output a device's verifier accepts.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/trust/canonical-json.js';
import { parsePublicKey } from '../../src/trust/keys.js';
import { RequestVerifier } from '../../src/trust/request-verifier.js';
import { signedBytes, verifySignature } from '../../src/trust/signature.js';
import { TrustError } from '../../src/trust/trust-errors.js';
import { edgerun } from '../helpers/cli.js';
import { tempDir } from '../runtime/daemon-harness.js';
import { command, sign, testKey } from '../runtime/model-swap-harness.js';

describe('canonical JSON', () => {
  it('sorts keys at every depth, drops undefined, writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null, 'x'], c: 'é' }, u: undefined })).toBe('{"a":{"c":"é","d":[true,null,"x"]},"b":1}');
  });

  it('refuses numbers that languages print differently', () => {
    expect(() => canonicalJson({ t: 1.5 })).toThrow(/integers only/);
    expect(() => canonicalJson({ t: 2 ** 60 })).toThrow(/integers only/);
  });

  it('signs the context string and the request without its signature', () => {
    const key = testKey('k');
    const signed = sign(command('dev', 'p', { catalog: 'm' }), key);
    expect(signedBytes(signed).toString()).toMatch(/^edgerun-command-v1\n\{"action":"swap","correlationId":"[0-9a-f]+","device":"dev","keyId":"k","model":\{"catalog":"m"\},"nonce":"[0-9a-f]{32}","pipeline":"p","timestamp":\d+,"v":1\}$/);
    expect(verifySignature(signed, signed.signature as string, parsePublicKey(key.publicKey, 'k'))).toBe(true);
    expect(verifySignature({ ...signed, pipeline: 'q' }, signed.signature as string, parsePublicKey(key.publicKey, 'k'))).toBe(false);
  });
});

describe('RequestVerifier', () => {
  it('accepts a fresh signed request once; refuses the replay, also after a restart', () => {
    const key = testKey('ops');
    const stateDir = tempDir('edgerun-trust-');
    const trust = { keys: [{ id: 'ops', publicKey: key.publicKey }], maxAgeS: 60, allowUnsignedLocal: false };
    const signed = sign(command('dev', 'p', { catalog: 'm' }), key);
    expect(new RequestVerifier(trust, 'dev', stateDir).verify(signed, { local: true, name: 'HTTP' })).toEqual({ keyId: 'ops' });
    const restarted = new RequestVerifier(trust, 'dev', stateDir);
    const err = (() => {
      try {
        restarted.verify(signed, { local: true, name: 'HTTP' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TrustError);
    expect((err as TrustError).code).toBe('REPLAYED');
    expect(statSync(path.join(stateDir, 'trust', 'nonces.json')).mode & 0o077).toBe(0);
  });

  it('accepts unsigned requests only when allowed and only on a local channel', () => {
    const stateDir = tempDir('edgerun-trust-');
    const unsigned = command('dev', 'p', { catalog: 'm' });
    const open = new RequestVerifier({ keys: [], maxAgeS: 60, allowUnsignedLocal: true }, 'dev', stateDir);
    expect(open.verify(unsigned, { local: true, name: 'HTTP' })).toEqual({});
    expect(() => open.verify(unsigned, { local: false, name: 'MQTT' })).toThrow(/unsigned model command refused \(MQTT\)/);
    const closed = new RequestVerifier({ keys: [], maxAgeS: 60, allowUnsignedLocal: false }, 'dev', stateDir);
    expect(() => closed.verify(unsigned, { local: true, name: 'HTTP' })).toThrow(/trust\.allowUnsignedLocal is off/);
  });
});

describe('edgerun keys generate and edgerun sign', () => {
  it('make a key whose config line verifies what sign prints', async () => {
    const dir = tempDir('edgerun-keys-');
    const gen = await edgerun(['keys', 'generate', '--id', 'laptop', '--out', dir]);
    expect(gen.code).toBe(0);
    expect(gen.stderr).toContain(`private key: ${path.join(dir, 'laptop.key')}`);
    expect(statSync(path.join(dir, 'laptop.key')).mode & 0o077).toBe(0);
    const snippet = YAML.parse(gen.stdout) as { trust: { keys: { id: string; publicKey: string }[] } };
    expect(snippet.trust.keys[0]?.id).toBe('laptop');
    expect(readFileSync(path.join(dir, 'laptop.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const signed = await edgerun(['sign', '--key', path.join(dir, 'laptop.key'), '--device', 'cam1', '--pipeline', 'birds', '--catalog', 'mobilenet_v2_1.0_224_inat_bird_quant']);
    expect(signed.code).toBe(0);
    const request = JSON.parse(signed.stdout) as Record<string, unknown>;
    expect(request).toMatchObject({ v: 1, action: 'swap', device: 'cam1', pipeline: 'birds', keyId: 'laptop', model: { catalog: 'mobilenet_v2_1.0_224_inat_bird_quant' } });
    const verifier = new RequestVerifier({ keys: snippet.trust.keys, maxAgeS: 300, allowUnsignedLocal: false }, 'cam1', tempDir('edgerun-trust-'));
    expect(verifier.verify(request, { local: false, name: 'MQTT' })).toEqual({ keyId: 'laptop' });

    const again = await edgerun(['keys', 'generate', '--id', 'laptop', '--out', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; pass --force');
  });
});

// The embedded broker beyond loopback needs a username and password: refused by config load without them; with
// them, the daemon's broker lets in only clients that give them, and the daemon's own publisher is one of those.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { ConfigError } from '../../src/errors.js';
import { parseConfig } from '../../src/runtime/config.js';
import { Daemon } from '../../src/runtime/daemon.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig } from './daemon-harness.js';

const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    parseConfig(text, 'x.yaml', { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('config: the embedded broker beyond loopback', () => {
  it('refuses a non-loopback broker.host without credentials, naming both keys', () => {
    for (const host of ['0.0.0.0', '192.168.1.20', '::']) {
      const problems = problemsOf(`broker: { host: "${host}" }\npipelines: []\n`);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(`broker.username, broker.password: required when broker.host (${host}) is not a loopback address`);
      expect(problems[0]).toContain('EDGERUN_BROKER_PASSWORD');
    }
    expect(problemsOf('broker: { host: 0.0.0.0, username: cam }\npipelines: []\n')[0]).toContain('broker.username, broker.password: required');
  });

  it('accepts it with a username and a password, the password from EDGERUN_BROKER_PASSWORD too', () => {
    expect(problemsOf('broker: { host: 0.0.0.0, username: cam, password: s3cret-enough }\npipelines: []\n')).toEqual([]);
    const config = parseConfig('broker: { host: 0.0.0.0, username: cam }\npipelines: []\n', 'x.yaml', { env: { EDGERUN_BROKER_PASSWORD: 'from-env' } });
    expect(config.broker).toMatchObject({ host: '0.0.0.0', username: 'cam', password: 'from-env' });
  });

  it('needs nothing on loopback or when mqtt.url points elsewhere (the broker is not started); half a pair is refused', () => {
    expect(problemsOf('broker: { host: 127.0.0.1 }\npipelines: []\n')).toEqual([]);
    expect(problemsOf('broker: { host: localhost }\npipelines: []\n')).toEqual([]);
    expect(problemsOf('mqtt: { url: "mqtt://10.0.0.5:1883" }\nbroker: { host: 0.0.0.0 }\npipelines: []\n')).toEqual([]);
    expect(problemsOf('broker: { username: cam }\npipelines: []\n')).toEqual(['broker.password: required with broker.username (or set EDGERUN_BROKER_PASSWORD)']);
    expect(problemsOf('broker: { password: pw }\npipelines: []\n')).toEqual(['broker.username: required with broker.password (or set EDGERUN_BROKER_USERNAME)']);
  });
});

describe('daemon: the embedded broker with credentials', () => {
  let daemon: Daemon | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it('refuses a wrong password, lets the right one in, and its own publisher connects with them', async () => {
    // Bound to loopback (the tests never listen beyond it), credentials set: the same path a 0.0.0.0 bind takes.
    const config = makeConfig(`device: { id: auth-dev }
broker: { host: 127.0.0.1, port: 0, username: edgerun, password: "p4ss word" }
mqtt: { homeAssistant: { enabled: false } }
pipelines: []
`);
    daemon = new Daemon(config, pino({ level: 'silent' }));
    const { embeddedBroker } = await daemon.start();
    const url = embeddedBroker!.url;
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);

    const refused = await mqtt.connectAsync(url, { username: 'edgerun', password: 'wrong', reconnectPeriod: 0 }).then(
      async (c) => {
        await c.endAsync();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect((refused as Error).message).toBe('Connection refused: Bad username or password');

    // The daemon's publisher got in: its retained `online` reaches a client with the right password.
    const sub = await Collector.connect(url, ['edgerun/auth-dev/status'], { username: 'edgerun', password: 'p4ss word' });
    await sub.waitFor((ms) => ms.some((m) => m.payload.toString() === 'online'));
    expect(daemon.status().mqtt).toMatchObject({ embedded: true, connected: true });
    await sub.close();
  });
});

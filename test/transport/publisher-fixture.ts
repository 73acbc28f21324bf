/** Creates MqttPublishers on temporary outbox directories and cleans everything up after each test. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MqttPublisher, type MqttPublisherOptions } from '../../src/transport/mqtt/mqtt-publisher.js';

export class PublisherFixture {
  private readonly publishers = new Set<MqttPublisher>();
  private readonly dirs: string[] = [];
  private count = 0;

  tmpDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-publisher-'));
    this.dirs.push(dir);
    return dir;
  }

  async start(options: Partial<MqttPublisherOptions> & Pick<MqttPublisherOptions, 'url'>): Promise<MqttPublisher> {
    const publisher = new MqttPublisher({
      clientId: `edgerun-test-${process.pid}-${++this.count}`,
      deviceId: 'dev1',
      outboxDir: options.outboxDir ?? this.tmpDir(),
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      ...options,
    });
    this.publishers.add(publisher);
    await publisher.start();
    return publisher;
  }

  async stop(publisher: MqttPublisher): Promise<void> {
    await publisher.stop();
    this.publishers.delete(publisher);
  }

  async cleanup(): Promise<void> {
    for (const publisher of this.publishers) await publisher.stop();
    this.publishers.clear();
    for (const dir of this.dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  }
}

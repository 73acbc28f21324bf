// The degraded state's edges: entered and logged once whatever the number of failed writes; a successful write on a
// still nearly full disk (a small record into a partly used block) does not end it; one with room again does.
import { describe, expect, it } from 'vitest';
import { OutboxFallback, RECOVERED_FREE_BYTES } from '../../src/transport/mqtt/outbox-fallback.js';
import { capturingLogger } from '../runtime/daemon-harness.js';

describe('OutboxFallback', () => {
  it('one line in, one line out; a nearly full disk taking a small write stays degraded', () => {
    const { log, lines } = capturingLogger('info');
    let free = 4096;
    const changes: boolean[] = [];
    const fallback = new OutboxFallback(log, (d) => changes.push(d), () => free);
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    for (let i = 0; i < 100; i++) {
      fallback.writeFailed(enospc);
      if (i % 2 === 0) fallback.sent();
      else fallback.lost();
      fallback.writeSucceeded(); // the odd record that fits: still only 4 KB free
    }
    expect(fallback.state()).toMatchObject({ degraded: true, degradedReason: 'ENOSPC: no space left on device, write', sentDirect: 50, lostUnpersisted: 50 });
    free = RECOVERED_FREE_BYTES;
    fallback.writeSucceeded();
    expect(fallback.state()).toMatchObject({ degraded: false, degradedSince: null, degradedReason: null, sentDirect: 50, lostUnpersisted: 50 });
    expect(changes).toEqual([true, false]);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [50, expect.stringContaining('the MQTT outbox cannot persist messages (ENOSPC: no space left on device, write)')],
      [30, expect.stringMatching(/^the MQTT outbox persists messages again after \d+ s \(50 sent unpersisted, 50 lost meanwhile\)$/)],
    ]);
  });

  it('stays degraded when the free space cannot be read', () => {
    const fallback = new OutboxFallback(undefined, () => undefined, () => {
      throw new Error('statfs failed');
    });
    fallback.writeFailed(new Error('EIO'));
    fallback.writeSucceeded();
    expect(fallback.degraded).toBe(true);
  });
});

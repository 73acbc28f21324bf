import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Outbox, type OutboxMessage } from '../../src/transport/outbox/outbox.js';
import { OutboxLockedError, OutboxRecordTooLargeError } from '../../src/transport/transport-errors.js';

const dirs: string[] = [];
const open: Outbox[] = [];

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgerun-outbox-'));
  dirs.push(dir);
  return dir;
}

async function openOutbox(dir: string, options?: Parameters<typeof Outbox.open>[1]): Promise<Outbox> {
  const outbox = await Outbox.open(dir, options);
  open.push(outbox);
  return outbox;
}

async function closeOutbox(outbox: Outbox): Promise<void> {
  await outbox.close();
  open.splice(open.indexOf(outbox), 1);
}

function message(n: number, payloadBytes = 16): OutboxMessage {
  const payload = Buffer.alloc(payloadBytes, 0x61);
  payload.write(String(n).padStart(6, '0'));
  return { topic: `t/${n % 3}`, payload, qos: 1, retain: false };
}

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
}

afterEach(async () => {
  for (const outbox of open.splice(0)) await outbox.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('Outbox', () => {
  it('hands records out in append order and removes them only when acked', async () => {
    const outbox = await openOutbox(tmpDir());
    for (let n = 1; n <= 10; n++) {
      const record = await outbox.append(message(n));
      expect(record.id).toBe(n);
    }
    const first = outbox.peek(3);
    expect(first.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(first[0]).toMatchObject({ topic: 't/1', qos: 1, retain: false });
    expect(first[0]!.payload.subarray(0, 6).toString()).toBe('000001');
    expect(outbox.peek(5, 3).map((r) => r.id)).toEqual([4, 5, 6, 7, 8]);
    expect(outbox.peek(100, 8).map((r) => r.id)).toEqual([9, 10]);

    outbox.ack(3);
    expect(outbox.peek(1).map((r) => r.id)).toEqual([4]);
    expect(outbox.stats()).toMatchObject({ queued: 7, delivered: 3, dropped: 0 });
    outbox.ack(2); // already acked: no effect
    outbox.ack(10);
    expect(outbox.peek(10)).toEqual([]);
    expect(outbox.stats()).toMatchObject({ queued: 0, queuedBytes: 0, delivered: 10 });
  });

  it('reopens with the unacked records in order and keeps ids increasing', async () => {
    const dir = tmpDir();
    const outbox = await openOutbox(dir);
    for (let n = 1; n <= 20; n++) await outbox.append(message(n));
    outbox.ack(5);
    await closeOutbox(outbox);

    const reopened = await openOutbox(dir);
    expect(reopened.peek(100).map((r) => r.id)).toEqual(Array.from({ length: 15 }, (_, i) => i + 6));
    expect(reopened.stats()).toMatchObject({ queued: 15, delivered: 5, nextId: 21 });
    expect((await reopened.append(message(21))).id).toBe(21);

    // Everything acked: the ids still continue after a reopen (the consumed position and segment names carry them).
    reopened.ack(21);
    await closeOutbox(reopened);
    const again = await openOutbox(dir);
    expect(again.stats()).toMatchObject({ queued: 0, delivered: 21 });
    expect((await again.append(message(22))).id).toBe(22);
  });

  it('drops the oldest records past the byte bound and counts them', async () => {
    const dir = tmpDir();
    const probe = await openOutbox(tmpDir());
    await probe.append(message(0, 100));
    const recordBytes = probe.stats().queuedBytes;

    const drops: number[] = [];
    const outbox = await openOutbox(dir, { maxBytes: recordBytes * 10, onDrop: (count) => drops.push(count) });
    for (let n = 1; n <= 25; n++) await outbox.append(message(n, 100));
    expect(outbox.stats()).toMatchObject({ queued: 10, queuedBytes: recordBytes * 10, dropped: 15 });
    expect(drops.reduce((a, b) => a + b, 0)).toBe(15);
    expect(outbox.peek(100).map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => i + 16));
    // An ack of an id that was dropped is harmless.
    outbox.ack(3);
    expect(outbox.stats().queued).toBe(10);

    await expect(outbox.append(message(99, recordBytes * 11))).rejects.toBeInstanceOf(OutboxRecordTooLargeError);

    await closeOutbox(outbox);
    const reopened = await openOutbox(dir, { maxBytes: recordBytes * 10 });
    expect(reopened.stats()).toMatchObject({ queued: 10, dropped: 15 });
    expect(reopened.peek(1)[0]!.id).toBe(16);
  });

  it('skips a torn last record on reopen and keeps the rest', async () => {
    const dir = tmpDir();
    const outbox = await openOutbox(dir);
    for (let n = 1; n <= 10; n++) await outbox.append(message(n, 50));
    await closeOutbox(outbox);

    const [segment] = segmentFiles(dir);
    const file = path.join(dir, segment!);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 20); // cuts record 10 in half, as a crash during its write would

    const reopened = await openOutbox(dir);
    const records = reopened.peek(100);
    expect(records.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(records[8]!.payload.subarray(0, 6).toString()).toBe('000009');
    expect(reopened.stats().skippedBytes).toBeGreaterThan(0);
    // The torn bytes were cut, so new appends land on a clean boundary and survive the next reopen. The torn record's
    // id is not given out again: it may have been sent before the crash.
    expect((await reopened.append(message(11, 50))).id).toBe(11);
    await closeOutbox(reopened);
    const third = await openOutbox(dir);
    expect(third.peek(100).map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
    expect(third.stats().skippedBytes).toBe(0);
  });

  it('skips a damaged record in the middle and keeps the records after it', async () => {
    const dir = tmpDir();
    const outbox = await openOutbox(dir);
    for (let n = 1; n <= 5; n++) await outbox.append(message(n, 50));
    await closeOutbox(outbox);
    const file = path.join(dir, segmentFiles(dir)[0]!);
    const bytes = fs.readFileSync(file);
    const recordBytes = bytes.length / 5;
    const damaged = recordBytes * 2 + 40; // inside record 3's payload
    bytes[damaged] = bytes[damaged]! ^ 0xff;
    fs.writeFileSync(file, bytes);

    const reopened = await openOutbox(dir);
    expect(reopened.peek(100).map((r) => r.id)).toEqual([1, 2, 4, 5]);
    expect(reopened.stats().skippedBytes).toBe(recordBytes);
  });

  it('deletes consumed segments (compaction) and keeps ids across it', async () => {
    const dir = tmpDir();
    const outbox = await openOutbox(dir, { segmentBytes: 4096 });
    for (let n = 1; n <= 400; n++) await outbox.append(message(n, 64));
    expect(segmentFiles(dir).length).toBeGreaterThan(5);
    outbox.ack(390);
    expect(segmentFiles(dir).length).toBeLessThanOrEqual(2);
    expect(outbox.peek(100).map((r) => r.id)).toEqual([391, 392, 393, 394, 395, 396, 397, 398, 399, 400]);
    outbox.ack(400);
    expect(outbox.stats()).toMatchObject({ queued: 0, segments: 1, delivered: 400 });
    expect(outbox.stats().diskBytes).toBeLessThan(4096);
    await closeOutbox(outbox);

    const reopened = await openOutbox(dir, { segmentBytes: 4096 });
    expect((await reopened.append(message(401))).id).toBe(401);
  });

  it('refuses a second open of the same directory', async () => {
    const dir = tmpDir();
    await openOutbox(dir);
    await expect(Outbox.open(dir)).rejects.toBeInstanceOf(OutboxLockedError);
  });

  it('keeps every acknowledged append when the writing process is killed -9', async () => {
    const dir = tmpDir();
    const writer = path.join(import.meta.dirname, 'fixtures', 'outbox-writer.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) acked.push(Number(line.split(' ')[1]));
        if (acked.length >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');

    // The dead writer's lock is taken over; every id it reported is there, in order, and ids continue above every id
    // it could have handed out (its reservation, not only its last record: the process died without a clean close).
    const outbox = await openOutbox(dir);
    const ids = outbox.peek(1_000_000).map((r) => r.id);
    expect(ids.slice(0, acked.length)).toEqual(acked);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    const next = await outbox.append(message(0));
    expect(next.id).toBeGreaterThan(ids.length + 1);
    expect(next.id).toBeLessThanOrEqual(ids.length + 1 + 1024);
  });

  it('hands a new record out before its fdatasync has finished once its id is reserved on disk', async () => {
    const outbox = await openOutbox(tmpDir());
    await vi.waitFor(() => expect(outbox.stats().reservedId).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    let synced = false;
    const { record, durable } = outbox.enqueue(message(1));
    void durable.then(() => (synced = true));
    // Same tick: the batched fdatasync has not even started.
    expect(outbox.peek(1).map((r) => r.id)).toEqual([record.id]);
    expect(synced).toBe(false);
    await durable;
  });

  it('a record past the reserved ids waits for its own fdatasync', async () => {
    const outbox = await openOutbox(tmpDir());
    await vi.waitFor(() => expect(outbox.stats().reservedId).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    const reserved = outbox.stats().reservedId;
    // One tick: the write raising the bound is issued, but its fdatasync cannot have finished.
    const appended = Array.from({ length: reserved + 10 }, (_, i) => outbox.enqueue(message(i)));
    expect(outbox.peek(1, reserved - 1).map((r) => r.id)).toEqual([reserved]);
    expect(outbox.peek(1, reserved)).toEqual([]);
    await appended.at(-1)!.durable;
    expect(outbox.peek(1, reserved).map((r) => r.id)).toEqual([reserved + 1]);
  });

  it('falls back to the ids in the segments when the reservation file is damaged', async () => {
    const dir = tmpDir();
    const outbox = await openOutbox(dir);
    for (let n = 1; n <= 5; n++) await outbox.append(message(n));
    await closeOutbox(outbox);
    fs.writeFileSync(path.join(dir, 'ids'), Buffer.alloc(48, 0x5a));
    const reopened = await openOutbox(dir);
    expect(reopened.peek(10).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    expect((await reopened.append(message(6))).id).toBe(6);
  });

  it('never gives the id of a record lost in a power cut to another message', async () => {
    const dir = tmpDir();
    const outbox = await openOutbox(dir);
    await vi.waitFor(() => expect(outbox.stats().reservedId).toBeGreaterThanOrEqual(10), { timeout: 10_000 });
    // What the disk holds at the power cut: the files as they were before the five appends below were synced.
    const onDisk = tmpDir();
    for (const name of fs.readdirSync(dir).filter((f) => f !== 'lock')) fs.copyFileSync(path.join(dir, name), path.join(onDisk, name));
    const sent = [1, 2, 3, 4, 5].map((n) => outbox.enqueue(message(n)).record.id);
    expect(outbox.peek(10).map((r) => r.id)).toEqual(sent); // handed to the broker before their fdatasync

    const afterCut = await openOutbox(onDisk);
    expect(afterCut.peek(10)).toEqual([]);
    const next = await afterCut.append(message(6));
    expect(next.id).toBeGreaterThan(Math.max(...sent));
  });
});

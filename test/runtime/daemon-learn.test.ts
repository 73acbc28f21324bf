// Teaching a pipeline from its live frames: a daemon serving a cat/dog model learned from the pycoral images, over a
// folder of hotdog images, collects 5 frames as "hotdog" (embeddings and thumbnails under stateDir), applies them
// through the ordinary swap command, publishes hotdog results, and rolls back to cat/dog.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teachingFixture } from '../helpers/teaching-fixture.js';
import { Collector } from '../transport/mqtt-collector.js';
import { makeConfig, startDaemon, tempDir, type Harness } from './daemon-harness.js';

const dir = tempDir('edgerun-live-learn-');

let h: Harness;
let sub: Collector;
beforeAll(async () => {
  const fixture = await teachingFixture(dir, 'teach-dev');
  h = await startDaemon(makeConfig(fixture.yaml, { stateDir: path.join(dir, 'state') }));
  const url = (h.daemon.status().mqtt as { url: string }).url;
  sub = await Collector.connect(url, ['edgerun/teach-dev/teach/result']);
}, 120_000);
afterAll(async () => {
  await sub?.close();
  await h?.stop();
});

async function nextLabel(): Promise<{ label: string; model: string }> {
  const from = sub.messages.length;
  await sub.waitFor((m) => m.length > from);
  const msg = JSON.parse(sub.messages[from]!.payload.toString()) as { model: { id: string }; result: { classes: { label: string }[] } };
  return { label: msg.result.classes[0]!.label, model: msg.model.id };
}

describe('live teaching (POST /api/pipelines/:id/learn, /learn/apply)', () => {
  it('learns a class from 5 frames, swaps it in, publishes the new label, and rolls back', async () => {
    const before = await nextLabel();
    expect(['cat', 'dog']).toContain(before.label);

    const bad = await fetch(`${h.httpUrl}/api/pipelines/teach/learn`, { method: 'POST', body: JSON.stringify({ label: 'x'.repeat(65) }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/at most 64/);
    expect((await fetch(`${h.httpUrl}/api/pipelines/nope/learn`)).status).toBe(404);

    const collect = await fetch(`${h.httpUrl}/api/pipelines/teach/learn`, { method: 'POST', body: JSON.stringify({ label: 'hotdog', frames: 5 }) });
    expect(collect.status).toBe(200);
    expect(await collect.json()).toEqual({ label: 'hotdog', added: 5, examples: 5 });

    const listed = (await (await fetch(`${h.httpUrl}/api/pipelines/teach/learn`)).json()) as { classes: { label: string; examples: number; thumbnails: string[] }[] };
    expect(listed.classes).toHaveLength(1);
    expect(listed.classes[0]).toMatchObject({ label: 'hotdog', examples: 5 });
    const thumb = await fetch(`${h.httpUrl}/api/pipelines/teach/learn/thumbnail?name=${encodeURIComponent(listed.classes[0]!.thumbnails[0]!)}`);
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await thumb.arrayBuffer()).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));

    const errorsBefore = (h.daemon.status().pipelines as { counters: { errors: number } }[])[0]!.counters.errors;
    const apply = await fetch(`${h.httpUrl}/api/pipelines/teach/learn/apply`, { method: 'POST' });
    const applied = (await apply.json()) as { model: { id: string; labels: string[] }; answer: { ok: boolean; previous: { path: string } } };
    expect(apply.status).toBe(200);
    expect(applied.answer.ok).toBe(true);
    expect(applied.model.labels).toEqual(['cat', 'dog', 'hotdog']);
    let after = await nextLabel();
    while (after.model !== applied.model.id) after = await nextLabel();
    expect(after.label).toBe('hotdog');
    expect((h.daemon.status().pipelines as { counters: { errors: number } }[])[0]!.counters.errors).toBe(errorsBefore);
    // Applied examples are part of the served model now, so they are not kept for the next apply.
    expect(((await (await fetch(`${h.httpUrl}/api/pipelines/teach/learn`)).json()) as { classes: unknown[] }).classes).toEqual([]);

    const rollback = await fetch(`${h.httpUrl}/api/pipelines/teach/model/rollback`, { method: 'POST' });
    expect(rollback.status).toBe(200);
    let back = await nextLabel();
    while (back.model === applied.model.id) back = await nextLabel();
    expect(['cat', 'dog']).toContain(back.label);
  }, 180_000);
});

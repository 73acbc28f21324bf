// The web UI in a real Chromium against a real `edgerun serve` on the bundled config (a copy with free ports, a temp
// state dir, the shared models imported into its store and unsigned local swaps allowed). Screenshots of each page
// land in docs/screenshots/.
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildUi } from '../../ui/build.js';
import { launchChromium } from '../helpers/chromium.js';
import { repoRoot, sharedMedia } from '../helpers/paths.js';
import { bundledConfigCopy, startServe, type ServeChild } from '../helpers/serve-child.js';
import { importSharedModels } from '../runtime/model-swap-harness.js';
import { freePort } from '../sensors/helpers.js';
import { Collector } from '../transport/mqtt-collector.js';

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Result {
  pipeline: string;
  frame: { seq: number };
  result: { objects?: { box: Box }[] };
}

const shots = path.join(repoRoot, 'docs/screenshots');
const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-ui-'));
const uiDir = path.join(dir, 'ui');
let port: number;
let base: string;
let configFile: string;
let serve: ServeChild;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

async function startDaemon(file = configFile, child = dir): Promise<ServeChild> {
  const s = startServe(['--config', file, '--log-format', 'json'], { dir: child, env: { EDGERUN_UI_DIR: uiDir } });
  await s.waitForOutput('edgerun running', 90_000);
  return s;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  await buildUi(uiDir);
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  configFile = bundledConfigCopy(dir, { http: port });
  const doc = YAML.parseDocument(readFileSync(configFile, 'utf8'));
  doc.setIn(['trust'], doc.createNode({ allowUnsignedLocal: true }));
  writeFileSync(configFile, doc.toString());
  await importSharedModels(path.join(dir, 'state'));
  serve = await startDaemon();
  browser = await launchChromium();
  desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await desktop.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(`${base}/`) && !r.url().startsWith('data:')) foreignRequests.push(r.url());
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
});

/** The detect pipeline's results as the daemon publishes them (SSE), by frame seq. */
async function collectResults(pipeline: string, into: Map<number, Result>, signal: AbortSignal): Promise<void> {
  const res = await fetch(`${base}/api/events?pipeline=${pipeline}`, { signal });
  const reader = res.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done) return;
    text += new TextDecoder().decode(value);
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      if (!/^event: result$/m.test(frame)) continue;
      const data = frame
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      const r = JSON.parse(data) as Result;
      into.set(r.frame.seq, r);
    }
  }
}

const isBoxColour = (r: number, g: number, b: number): boolean => r > 190 && b > 190 && g < 90;

describe('the web UI in Chromium', () => {
  it('the Live page loads with a tile per pipeline, no console errors and no request to any other origin', async () => {
    await page.goto(`${base}/`);
    for (const id of ['classify', 'detect', 'keywords']) await page.locator(`section.tile[data-pipeline="${id}"]`).waitFor();
    await page.waitForFunction(() => Number(document.querySelector('section.tile[data-pipeline="detect"] .live-view')?.getAttribute('data-frames')) >= 1, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => Number(document.querySelector('section.tile[data-pipeline="classify"] .live-view')?.getAttribute('data-frames')) >= 1);
    await page.locator('section.tile[data-pipeline="keywords"] .meter small').filter({ hasText: 'dBFS' }).waitFor({ timeout: 20_000 });
    await expect(page.locator('section.tile[data-pipeline="detect"] .badge').textContent()).resolves.toMatch(/^CPU · /);
    await page.screenshot({ path: path.join(shots, 'live.png') });
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 60_000);

  it("the detection tile draws the SSD's boxes where the published result puts them, and the box colour nowhere else", async () => {
    const results = new Map<number, Result>();
    const abort = new AbortController();
    const collecting = collectResults('detect', results, abort.signal);
    try {
      // A frame drawn after the collector started, so its published result is in `results`.
      let shown: { seq: number; png: string; width: number; height: number } | undefined;
      for (let i = 0; i < 60 && !(shown && results.has(shown.seq)); i++) {
        await page.waitForTimeout(250);
        shown = await page.evaluate(() => {
          const c = document.querySelector<HTMLCanvasElement>('canvas[data-pipeline="detect"]')!;
          return { seq: Number(c.dataset.seq), png: c.toDataURL('image/png'), width: c.width, height: c.height };
        });
      }
      expect(shown && results.has(shown.seq), 'a drawn frame whose result was published').toBe(true);
      const published = results.get(shown!.seq)!;
      const boxes = published.result.objects!.map((o) => o.box);
      expect(boxes.length).toBeGreaterThanOrEqual(4);
      const { data, info } = await sharp(Buffer.from(shown!.png.split(',')[1]!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(info.width).toBe(640);
      const scale = info.width / 1200; // cats_and_dogs.jpg is 1200 wide
      const colourAt = (x: number, y: number): boolean => {
        const xi = Math.min(info.width - 1, Math.max(0, Math.round(x)));
        const yi = Math.min(info.height - 1, Math.max(0, Math.round(y)));
        const i = (yi * info.width + xi) * 3;
        return isBoxColour(data[i]!, data[i + 1]!, data[i + 2]!);
      };
      const near = (x: number, y: number, fn: (x: number, y: number) => boolean): boolean => [-1, 0, 1].some((dx) => [-1, 0, 1].some((dy) => fn(x + dx, y + dy)));
      for (const b of boxes) {
        const [x0, y0, x1, y1] = [b.x * scale, b.y * scale, (b.x + b.w) * scale, (b.y + b.h) * scale];
        let hit = 0;
        let all = 0;
        for (let t = 0.05; t <= 0.95; t += 0.05) {
          for (const [x, y] of [[x0 + t * (x1 - x0), y0], [x0 + t * (x1 - x0), y1], [x0, y0 + t * (y1 - y0)], [x1, y0 + t * (y1 - y0)]] as const) {
            all++;
            if (near(x, y, colourAt)) hit++;
          }
        }
        expect(hit / all, `box ${JSON.stringify(b)}`).toBeGreaterThan(0.9);
      }
      // Every pixel of the box colour is on a box (within 4 px of its outline) or in the label above its corner.
      const font = Math.max(11, Math.round(info.width / 45));
      const explained = (x: number, y: number): boolean =>
        boxes.some((b) => {
          const [x0, y0, x1, y1] = [b.x * scale, b.y * scale, (b.x + b.w) * scale, (b.y + b.h) * scale];
          const onOutline = x >= x0 - 4 && x <= x1 + 4 && y >= y0 - 4 && y <= y1 + 4 && !(x > x0 + 4 && x < x1 - 4 && y > y0 + 4 && y < y1 - 4);
          const inLabel = x >= x0 - 2 && x <= x0 + 16 * font && y >= y0 - font - 8 && y <= y0 + font + 8;
          return onOutline || inLabel;
        });
      let stray = 0;
      for (let y = 0; y < info.height; y++) for (let x = 0; x < info.width; x++) if (colourAt(x, y) && !explained(x, y)) stray++;
      expect(stray).toBe(0);
    } finally {
      abort.abort();
      await collecting.catch(() => undefined);
    }
  }, 60_000);

  it('the classification tile shows "Egyptian cat" while cat.bmp is the frame', async () => {
    await page.waitForFunction(
      () => {
        const tile = document.querySelector('section.tile[data-pipeline="classify"]')!;
        const canvas = tile.querySelector<HTMLCanvasElement>('canvas')!;
        return (canvas.dataset.frame ?? '').endsWith('/cat.bmp') && (tile.querySelector('.bars')?.textContent ?? '').includes('Egyptian cat');
      },
      undefined,
      { timeout: 30_000 },
    );
    expect(sharedMedia('cat.bmp')).toMatch(/cat\.bmp$/);
  }, 40_000);

  it("a swap from the Models page changes the retained <pipeline>/model message and the tile's model; a rollback restores it", async () => {
    const brokerUrl = ((await (await fetch(`${base}/api/status`)).json()) as { mqtt: { url: string } }).mqtt.url;
    const retained = async (): Promise<string> => {
      const c = await Collector.connect(brokerUrl, ['edgerun/edgerun-demo/classify/model']);
      await c.waitFor((m) => m.length > 0);
      await c.close();
      return (JSON.parse(c.messages[0]!.payload.toString()) as { id: string }).id;
    };
    expect(await retained()).toBe('mobilenet_v2_1.0_224_quant');
    await page.goto(`${base}/#/models`);
    const swap = page.locator('button[data-swap="classify:mobilenet_v1_0.25_128_quant"]');
    await swap.waitFor();
    await page.screenshot({ path: path.join(shots, 'models.png') });
    await swap.click();
    await page.locator('p.ok[role=status]').waitFor({ timeout: 30_000 });
    expect(await retained()).toBe('mobilenet_v1_0.25_128_quant');
    await page.goto(`${base}/#/live`);
    await page.locator('section.tile[data-pipeline="classify"] .model[data-model="mobilenet_v1_0.25_128_quant"]').waitFor();
    await page.goto(`${base}/#/models`);
    await page.locator('tr[data-pipeline="classify"] button').click();
    await page.locator('p.ok[role=status]').filter({ hasText: 'rollback' }).waitFor({ timeout: 30_000 });
    expect(await retained()).toBe('mobilenet_v2_1.0_224_quant');
    await page.goto(`${base}/#/live`);
    await page.locator('section.tile[data-pipeline="classify"] .model[data-model="mobilenet_v2_1.0_224_quant"]').waitFor();
    expect(consoleErrors).toEqual([]);
  }, 90_000);

  it('the Pipeline and Device pages render; screenshots of both', async () => {
    await page.goto(`${base}/#/pipeline/detect`);
    await page.locator('.pipeline-page .live-view[data-state="live"]').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('.pipeline-page .live-view')?.getAttribute('data-frames')) >= 1);
    await page.locator('.pipeline-page iframe.card').waitFor();
    await page.locator('.charts figure').first().waitFor();
    await page.screenshot({ path: path.join(shots, 'pipeline.png'), fullPage: true });
    await page.goto(`${base}/#/device`);
    await page.locator('.device-page h2', { hasText: 'Edge TPU' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('.device-page').textContent()).resolves.toMatch(/mobilenet_v2_1\.0_224_quant/);
    await page.screenshot({ path: path.join(shots, 'device.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 60_000);

  it("the Pipeline page's Explain button shows the saliency map of the current frame", async () => {
    await page.goto(`${base}/#/pipeline/classify`);
    await page.locator('.pipeline-page .live-view[data-state="live"]').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('.pipeline-page .live-view')?.getAttribute('data-frames')) >= 1);
    await page.getByRole('button', { name: 'Explain this frame' }).click();
    const img = page.locator('img.explain-map');
    await img.waitFor({ timeout: 150_000 });
    // The overlay PNG: the frame's width plus the legend, decoded by the browser.
    const size = await img.evaluate((el: HTMLImageElement) => el.decode().then(() => ({ w: el.naturalWidth, h: el.naturalHeight })));
    expect(size.w).toBeGreaterThan(0);
    expect(size.h).toBeGreaterThan(0);
    await expect(page.locator('.explain figcaption').textContent()).resolves.toMatch(/peak at \d+,\d+/);
    await page.screenshot({ path: path.join(shots, 'explain.png'), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 180_000);

  it('at 390×844 (a phone) no page overflows sideways, the model card included', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const p = await phone.newPage();
      const ready: Record<string, string> = {
        live: 'section.tile[data-pipeline="detect"] .live-view[data-state="live"]',
        'pipeline/detect': '.pipeline-page iframe.card',
        models: 'article.model-card',
        device: '.device-page table.grid',
      };
      for (const [route, selector] of Object.entries(ready)) {
        await p.goto(`${base}/#/${route}`);
        await p.locator(selector).first().waitFor();
        await p.waitForTimeout(1000); // frames drawn, the card's iframe laid out
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, route).toBeLessThanOrEqual(0);
        if (route === 'pipeline/detect') {
          // The model card in its frame (about 370 px wide here) wraps too: nothing to scroll sideways inside it.
          const card = p.frames().find((f) => f.url().includes('/card?format=html'));
          expect(card, 'the card frame').toBeDefined();
          expect(await card!.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
        }
        if (route === 'live') await p.screenshot({ path: path.join(shots, 'live-phone.png') });
      }
      await p.goto(`${base}/api/models/ssd_mobilenet_v1_coco_quant_postprocess/card?format=html`);
      // Laid out at the phone's width (its viewport meta), not at a 980 px desktop width zoomed out.
      expect(await p.evaluate(() => window.innerWidth)).toBe(390);
      expect(await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    } finally {
      await phone.close();
    }
  }, 60_000);

  it('a cross-origin POST from a page on another port is refused, and swaps nothing', async () => {
    const otherPort = await freePort();
    const attack = `<!doctype html><script>
      fetch('${base}/api/pipelines/classify/model', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ v: 1, action: 'swap', pipeline: 'classify', model: { catalog: 'mobilenet_v1_0.25_128_quant' } }) })
        .then(() => document.title = 'sent', () => document.title = 'sent');
    </script>`;
    const server: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attack));
    await new Promise<void>((r) => server.listen(otherPort, '127.0.0.1', r));
    const attacker = await desktop.newPage();
    try {
      const statuses: number[] = [];
      attacker.on('response', (r) => {
        if (r.url().startsWith(base)) statuses.push(r.status());
      });
      await attacker.goto(`http://127.0.0.1:${otherPort}/`);
      await attacker.waitForFunction(() => document.title === 'sent');
      await attacker.waitForTimeout(500);
      expect(statuses).toEqual([403]);
      const model = (await (await fetch(`${base}/api/pipelines/classify/model`)).json()) as { active: { id: string } };
      expect(model.active.id).toBe('mobilenet_v2_1.0_224_quant');
    } finally {
      await attacker.close();
      await new Promise((r) => server.close(r));
    }
  }, 30_000);

  it('the daemon killed and restarted: the page reconnects by itself within 5 s', async () => {
    await page.goto(`${base}/#/live`);
    await page.waitForFunction(() => Number(document.querySelector('section.tile[data-pipeline="detect"] .live-view')?.getAttribute('data-frames')) >= 1);
    serve.kill();
    await serve.exited;
    await page.locator('.conn[data-online="no"]').waitFor({ timeout: 10_000 });
    const before = Number(await page.locator('section.tile[data-pipeline="detect"] .live-view').getAttribute('data-frames'));
    serve = await startDaemon();
    // From the moment the new daemon is running: connected again and a new frame drawn, within 5 s together.
    await page.waitForFunction(
      (n) =>
        document.querySelector('.conn')?.getAttribute('data-online') === 'yes' &&
        Number(document.querySelector('section.tile[data-pipeline="detect"] .live-view')?.getAttribute('data-frames')) > n,
      before,
      { timeout: 5000 },
    );
  }, 120_000);
});

describe('off loopback', () => {
  const lan = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it.skipIf(!lan)('without the token: 401 and the login prompt; with it, frames over the session cookie', async () => {
    const childDir = mkdtempSync(path.join(tmpdir(), 'edgerun-ui-lan-'));
    const lanPort = await freePort();
    const token = 'ui-test-token-0123456789';
    const file = path.join(childDir, 'edgerun.yaml');
    writeFileSync(
      file,
      YAML.stringify({
        version: 1,
        device: { id: 'lan-ui' },
        modelsDir: path.dirname(sharedMedia('x')).replace(/media$/, 'models'),
        stateDir: path.join(childDir, 'state'),
        engines: { cpuVariant: 'builtin', threads: 1 },
        broker: { port: 0 },
        mqtt: { homeAssistant: { enabled: false } },
        http: { host: '0.0.0.0', port: lanPort, token },
        pipelines: [
          { id: 'classify', source: { type: 'images', path: sharedMedia('cat.bmp'), fps: 2, loop: true }, model: { path: 'mobilenet_v1_0.25_128_quant.tflite' }, task: { type: 'classify' } },
        ],
      }),
    );
    const lanServe = await startDaemon(file, childDir);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const url = `http://${lan}:${lanPort}`;
      expect((await fetch(`${url}/api/status`)).status).toBe(401);
      const p = await ctx.newPage();
      await p.goto(`${url}/`);
      await p.locator('form.login input[name=token]').waitFor();
      await p.screenshot({ path: path.join(shots, 'login.png') });
      await p.fill('form.login input[name=token]', 'wrong-token-wrong-token');
      await p.click('form.login button');
      await p.locator('form.login .error').waitFor();
      await p.fill('form.login input[name=token]', token);
      await p.click('form.login button');
      await p.waitForFunction(() => Number(document.querySelector('section.tile[data-pipeline="classify"] .live-view')?.getAttribute('data-frames')) >= 1, undefined, { timeout: 30_000 });
      // The session is an HttpOnly cookie: the page's script cannot read it.
      expect(await p.evaluate(() => document.cookie)).toBe('');
      const cookies = await ctx.cookies(url);
      expect(cookies.map((c) => [c.httpOnly, c.sameSite])).toEqual([[true, 'Strict']]);
    } finally {
      await ctx.close();
      await lanServe.stop();
    }
  }, 120_000);
});

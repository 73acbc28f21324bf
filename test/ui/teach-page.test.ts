// The Teach page in a real Chromium against a real daemon (in this process) serving a cat/dog model learned from the
// pycoral images, over a folder of hotdog images: type a label, capture 5 frames, see their thumbnails, apply, and
// the live results name the new class.
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildUi } from '../../ui/build.js';
import { launchChromium } from '../helpers/chromium.js';
import { repoRoot } from '../helpers/paths.js';
import { teachingFixture } from '../helpers/teaching-fixture.js';
import { makeConfig, startDaemon, tempDir, type Harness } from '../runtime/daemon-harness.js';

const dir = tempDir('edgerun-teach-ui-');
let h: Harness;
let browser: Browser;

beforeAll(async () => {
  const uiDir = path.join(dir, 'ui');
  await buildUi(uiDir);
  process.env.EDGERUN_UI_DIR = uiDir;
  const fixture = await teachingFixture(dir, 'teach-ui', 2);
  h = await startDaemon(
    makeConfig(
      fixture.yaml,
      { stateDir: path.join(dir, 'state') },
    ),
  );
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  delete process.env.EDGERUN_UI_DIR;
  await browser?.close();
  await h?.stop();
});

describe('the Teach page', () => {
  it('captures frames as a new label, shows their thumbnails, applies them, and the live results name it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${h.httpUrl}/#/teach/teach`);
    await page.locator('.teach-page .live-view[data-state="live"]').waitFor({ timeout: 30_000 });
    // Before: the model knows cat and dog only.
    await expect(page.locator('.teach-page .bars').textContent()).resolves.toMatch(/cat|dog/);
    await page.locator('input[name="label"]').fill('hotdog');
    await page.locator('input[name="frames"]').fill('5');
    await page.getByRole('button', { name: 'Capture' }).click();
    await page.locator('.collected-class[data-label="hotdog"] .thumbs img').nth(4).waitFor({ timeout: 60_000 });
    await expect(page.locator('p.ok').textContent()).resolves.toMatch(/captured 5 frames of "hotdog"/);
    const sizes = await page.locator('.thumbs img').evaluateAll((els) => Promise.all((els as HTMLImageElement[]).map((e) => e.decode().then(() => e.naturalWidth))));
    expect(sizes).toHaveLength(5);
    expect(sizes.every((w) => w > 0)).toBe(true);
    await page.getByRole('button', { name: /^Apply/ }).click();
    await page.locator('p.ok', { hasText: 'now serving' }).waitFor({ timeout: 90_000 });
    await expect(page.locator('p.ok').textContent()).resolves.toMatch(/cat, dog, hotdog|hotdog/);
    // The live tile's top class becomes the new label (the frames are hotdogs).
    await page.locator('.teach-page .bars li', { hasText: 'hotdog' }).first().waitFor({ timeout: 30_000 });
    expect(h.daemon.pipeline('teach')!.status().model?.id).toMatch(/^teach-learned-/);
    await page.screenshot({ path: path.join(repoRoot, 'docs/screenshots/teach.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 240_000);
});

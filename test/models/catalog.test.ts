// The bundled catalog against the real files in ../shared: every size, sha256 and input shape it states is checked
// against the file itself, and a damaged catalog is refused with the file and key at fault.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesOf, loadCatalog } from '../../src/models/catalog.js';
import { CatalogError } from '../../src/models/model-errors.js';
import { inspectModelBytes } from '../../src/inference/inspect-model.js';
import { repoRoot, sharedModel } from '../helpers/paths.js';

const catalog = loadCatalog();

describe('the bundled catalog', () => {
  it('describes every model family DATA.md lists', () => {
    const ids = catalog.all().map((m) => m.id);
    for (const id of [
      'mobilenet_v1_0.25_128_quant',
      'mobilenet_v1_0.5_160_quant',
      'mobilenet_v2_1.0_224_quant',
      'mobilenet_v2_1.0_224_inat_bird_quant',
      'ssd_mobilenet_v1_coco_quant_postprocess',
      'yolov8n_full_integer_quant',
      'deeplabv3_mnv2_dm05_pascal_quant',
      'movenet_single_pose_lightning_ptq',
      'blazeface_short_range',
      'micro_speech_quantized',
      'person_detect',
    ]) {
      expect(ids).toContain(id);
    }
    expect(new Set(catalog.all().map((m) => m.family.file)).size).toBe(9);
  });

  it('states the size and sha256 of each file as the file in ../shared has them', () => {
    let checked = 0;
    for (const m of catalog.all()) {
      for (const { file } of filesOf(m)) {
        const local = sharedModel(file.name);
        expect(existsSync(local), `${file.name} of ${m.id} is not in ../shared/models`).toBe(true);
        const bytes = readFileSync(local);
        expect(bytes.length, file.name).toBe(file.size);
        expect(createHash('sha256').update(bytes).digest('hex'), file.name).toBe(file.sha256);
        checked++;
      }
    }
    expect(checked).toBe(21);
  });

  it("states each model's input shape, and each file's role, as the file itself has them", () => {
    for (const m of catalog.all()) {
      for (const { role, file } of filesOf(m).filter((r) => r.role !== 'labels')) {
        const report = inspectModelBytes(readFileSync(sharedModel(file.name)), file.name);
        expect(report.inputs[0]?.shape, `${m.id} ${role}`).toEqual(m.input.shape);
        expect(report.edgetpu.compiled, `${file.name} is listed as ${role}`).toBe(role === 'edgetpu');
        if (m.labels.embedded) expect(report.metadata.labels, `${m.id} embedded labels`).toBe(m.labels.count);
      }
    }
  });

  it('points each download URL at a fixed commit of the repository it names', () => {
    for (const m of catalog.all()) {
      for (const { file } of filesOf(m)) {
        expect(file.url, file.name).toMatch(/^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[0-9a-f]{40}\//);
        expect(file.url).toContain(m.family.source.commit);
      }
    }
  });
});

describe('catalog validation', () => {
  it('refuses a catalog file that does not fit the schema, naming the file and the key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-catalog-'));
    const good = readFileSync(path.join(repoRoot, 'models/mobilenet-v1.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'broken.yaml'), good.replace('sha256: cb273c23', 'sha256: XYZ3c23').replace('task: classify', 'task: dance'));
    const err = (() => {
      try {
        loadCatalog(dir);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CatalogError);
    const problems = (err as CatalogError).problems.join('\n');
    expect(problems).toContain('broken.yaml');
    expect(problems).toContain('models[0].files.cpu.sha256');
    expect(problems).toContain('models[0].task');
  });

  it('refuses two families that define the same model id', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'edgerun-catalog-'));
    const good = readFileSync(path.join(repoRoot, 'models/mobilenet-v1.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'a.yaml'), good);
    writeFileSync(path.join(dir, 'b.yaml'), good);
    expect(() => loadCatalog(dir)).toThrow(/mobilenet_v1_0\.25_128_quant" is also defined in/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { classCount, labelFor, parseLabels } from '../../src/tasks/labels.js';
import { parseYoloNames } from '../../src/tasks/yolo-names.js';

const models = new URL('../../../shared/models/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, models), 'utf8');

describe('parseLabels on the shared labels files', () => {
  it('coco90_labels.txt is indexed by the SSD class output (16 cat, 17 dog)', () => {
    const labels = parseLabels(read('coco90_labels.txt'));
    expect(labels.size).toBe(90);
    expect(labels.get(0)).toBe('person');
    expect(labels.get(11)).toBe('???');
    expect(labels.get(16)).toBe('cat');
    expect(labels.get(17)).toBe('dog');
    expect(labels.get(89)).toBe('toothbrush');
  });

  it('coco_labels.txt uses n/a for the unused ids', () => {
    const labels = parseLabels(read('coco_labels.txt'));
    expect(labels.size).toBe(90);
    expect(labels.get(11)).toBe('n/a');
    expect(labels.get(16)).toBe('cat');
  });

  it('imagenet_labels.txt has 1001 classes with background at 0', () => {
    const labels = parseLabels(read('imagenet_labels.txt'));
    expect(labels.size).toBe(1001);
    expect(labels.get(0)).toBe('background');
    expect(labels.get(20)).toBe('chickadee');
    expect(labels.get(89)).toBe('macaw');
    expect(labels.get(286)).toBe('Egyptian cat');
    expect(labels.get(653)).toBe('military uniform');
    expect(labels.get(1)).toBe('tench, Tinca tinca');
  });

  it('imagenet1000_synset.txt drops the synset ids and is offset by one from the 1001-class file', () => {
    const labels = parseLabels(read('imagenet1000_synset.txt'));
    expect(labels.size).toBe(1000);
    expect(labels.get(0)).toBe('tench, Tinca tinca');
    expect(labels.get(285)).toBe('Egyptian cat');
    expect(labels.get(999)).toBe('toilet tissue, toilet paper, bathroom tissue');
  });

  it('inat_bird_labels.txt has 965 classes, background last', () => {
    const labels = parseLabels(read('inat_bird_labels.txt'));
    expect(labels.size).toBe(965);
    expect(labels.get(0)).toBe("Haemorhous cassinii (Cassin's Finch)");
    expect(labels.get(964)).toBe('background');
  });

  it('pascal_voc_segmentation_labels.txt stops before the trailing note', () => {
    const labels = parseLabels(read('pascal_voc_segmentation_labels.txt'));
    expect(labels.size).toBe(21);
    expect(labels.get(0)).toBe('background');
    expect(labels.get(3)).toBe('bird');
    expect(labels.get(15)).toBe('person');
    expect(labels.get(20)).toBe('tvmonitor');
  });
});

describe('parseLabels formats', () => {
  it('reads Coral numbered lines with space, colon or several spaces, keeping gaps', () => {
    const labels = parseLabels('0 person\n1: bicycle\n5  car\r\n\n7\tbus stop\n');
    expect([...labels]).toEqual([
      [0, 'person'],
      [1, 'bicycle'],
      [5, 'car'],
      [7, 'bus stop'],
    ]);
  });

  it('treats a file of bare numbers as plain labels', () => {
    const labels = parseLabels('0\n1\n2\n');
    expect([...labels]).toEqual([
      [0, '0'],
      [1, '1'],
      [2, '2'],
    ]);
  });

  it('does not mistake plain labels that start with a digit for numbered ones when others do not', () => {
    const labels = parseLabels('7 up\ncola\n');
    expect(labels.get(0)).toBe('7 up');
    expect(labels.get(1)).toBe('cola');
  });

  it('strips a BOM and handles an empty file', () => {
    expect(parseLabels('\uFEFFa\nb').get(0)).toBe('a');
    expect(parseLabels('').size).toBe(0);
  });

  it('labelFor falls back to the id, for maps and arrays', () => {
    const labels = parseLabels('a\nb\n');
    expect(labelFor(labels, 1)).toBe('b');
    expect(labelFor(labels, 9)).toBe('9');
    expect(labelFor(['x', 'y'], 0)).toBe('x');
    expect(labelFor(undefined, 3)).toBe('3');
    expect(classCount(new Map([[4, 'e']]))).toBe(5);
    expect(classCount(undefined)).toBeUndefined();
  });
});

describe('parseYoloNames', () => {
  it('reads the names map of yolov8n_metadata.yaml', () => {
    const names = parseYoloNames(read('yolov8n_metadata.yaml'));
    expect(names.size).toBe(80);
    expect(names.get(0)).toBe('person');
    expect(names.get(5)).toBe('bus');
    expect(names.get(11)).toBe('stop sign');
    expect(names.get(79)).toBe('toothbrush');
  });

  it('reads a names list', () => {
    expect([...parseYoloNames('names: [cat, dog]\n')]).toEqual([
      [0, 'cat'],
      [1, 'dog'],
    ]);
  });

  it('refuses a file without names', () => {
    expect(() => parseYoloNames('task: detect\n')).toThrow(UsageError);
  });
});

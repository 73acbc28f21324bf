/**
 * Labels files, in the formats the shared models come with:
 * - plain lines, index = line number (coco90_labels.txt, imagenet_labels.txt, inat_bird_labels.txt);
 * - numbered lines `N label`, `N: label`, `N  label` (Coral style; index = N, order free, gaps allowed);
 * - WordNet synset lines `n01440764 tench, Tinca tinca` (imagenet1000_synset.txt; the synset id is dropped).
 * In the plain and synset formats the list ends at the first blank line: pascal_voc_segmentation_labels.txt
 * carries a prose note after one.
 */
export type Labels = ReadonlyMap<number, string> | readonly string[];

const NUMBERED = /^\s*(\d+)\s*(?::\s*|\s+)(\S.*)$/;
const SYNSET = /^n\d{8}\s+(\S.*)$/;

export function parseLabels(text: string): Map<number, string> {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n|\r/)
    .map((l) => l.trimEnd());
  const filled = lines.filter((l) => l.trim() !== '');
  const labels = new Map<number, string>();
  if (filled.length === 0) return labels;

  if (filled.every((l) => NUMBERED.test(l))) {
    for (const line of filled) {
      const m = NUMBERED.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) labels.set(Number(m[1]), m[2].trim());
    }
    return labels;
  }

  const first = lines.findIndex((l) => l.trim() !== '');
  const blank = lines.findIndex((l, i) => i > first && l.trim() === '');
  const body = lines.slice(first, blank === -1 ? undefined : blank);
  const synset = body.every((l) => SYNSET.test(l));
  body.forEach((line, i) => {
    labels.set(i, synset ? (SYNSET.exec(line)?.[1] ?? line).trim() : line.trim());
  });
  return labels;
}

/** The label for a class id, or the id as text when there is none. */
export function labelFor(labels: Labels | undefined, id: number): string {
  const label = labels === undefined ? undefined : isLabelArray(labels) ? labels[id] : labels.get(id);
  return label ?? String(id);
}

export function isLabelArray(labels: Labels): labels is readonly string[] {
  return Array.isArray(labels);
}

/** How many class ids the labels cover (highest id + 1), or undefined when there are none. */
export function classCount(labels: Labels | undefined): number | undefined {
  if (labels === undefined) return undefined;
  if (isLabelArray(labels)) return labels.length > 0 ? labels.length : undefined;
  let max = -1;
  for (const id of labels.keys()) if (id > max) max = id;
  return max >= 0 ? max + 1 : undefined;
}

/** The label names, in id order (empty when there are none). */
export function labelNames(labels: Labels | undefined): string[] {
  if (labels === undefined) return [];
  if (isLabelArray(labels)) return [...labels];
  return [...labels.entries()].sort((a, b) => a[0] - b[0]).map(([, name]) => name);
}

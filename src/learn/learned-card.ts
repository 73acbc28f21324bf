/**
 * The model card text of a model `edgerun learn` wrote, from what the file itself records (imprinting-state.ts):
 * training data, the extractor it was grown from, intended use and limits, and the accuracy measured on the
 * examples held out of training. `models import` copies it into the local catalog entry, so `models card ID` shows it.
 */
import { unpackModel } from '../delegates/index.js';
import { readImprintingState, type ImprintingState } from './imprinting-state.js';

export type HoldoutAccuracy = NonNullable<ImprintingState['holdout']>;

export interface LearnedCard {
  overview: string;
  architecture: string;
  intendedUses: string[];
  outOfScope: string[];
  limitations: string[];
  ethical: { name: string; mitigation: string }[];
  training: { createdAt: string; classes: { label: string; examples: number; sources: string[] }[] };
  extractor: ImprintingState['extractor'];
  holdout?: NonNullable<ImprintingState['holdout']>;
}

export function learnedCard(state: ImprintingState): LearnedCard {
  const labels = state.classes.map((c) => c.label);
  const examples = state.classes.reduce((n, c) => n + c.examples, 0);
  return {
    overview:
      `A ${labels.length}-class image classifier (${labels.join(', ')}) taught on this device with edgerun learn from ` +
      `${examples} example images, by weight imprinting on the embedding extractor ${state.extractor.file}.`,
    architecture: `${state.extractor.file} + L2_NORMALIZATION, FULLY_CONNECTED (imprinted uint8 weights, logits = cosine x ${state.logitScale}), SOFTMAX`,
    intendedUses: ['Telling apart the few classes it was shown, in conditions like those of its examples (same camera, place, light).'],
    outOfScope: ['Decisions about people: identity, age, sex, health, or anything else that affects a person.', 'Classes it was not taught: every input is scored as one of its classes.'],
    limitations: [
      'Few-shot: each class is the mean direction of a handful of embeddings; accuracy on other scenes is unmeasured unless shown below.',
      'Scores are a softmax over the taught classes only, not a confidence that the input is any of them.',
    ],
    ethical: [{ name: 'Training images may show people or private places', mitigation: 'Teach from images you may use; the card lists every source.' }],
    training: { createdAt: state.createdAt, classes: state.classes.map((c) => ({ label: c.label, examples: c.examples, sources: c.sources })) },
    extractor: state.extractor,
    ...(state.holdout ? { holdout: state.holdout } : {}),
  };
}

export function learnedCardMarkdown(card: LearnedCard, files: { name: string; sha256: string }[]): string {
  const h = card.holdout;
  return [
    `# Model card: ${files[0]?.name ?? 'imprinted model'}`,
    '',
    card.overview,
    '',
    `- Architecture: ${card.architecture}`,
    `- Extractor: ${card.extractor.file}, sha256 ${card.extractor.sha256}`,
    ...files.map((f) => `- File: ${f.name}, sha256 ${f.sha256}`),
    '',
    '## Training data',
    '',
    `Learned ${card.training.createdAt}.`,
    '',
    '| class | examples | sources |',
    '|---|---|---|',
    ...card.training.classes.map((c) => `| ${c.label} | ${c.examples} | ${c.sources.map((s) => `\`${s}\``).join('<br>')} |`),
    '',
    '## Intended use',
    '',
    ...card.intendedUses.map((u) => `- ${u}`),
    '',
    '## Out of scope',
    '',
    ...card.outOfScope.map((u) => `- ${u}`),
    '',
    '## Limitations',
    '',
    ...card.limitations.map((u) => `- ${u}`),
    ...card.ethical.map((e) => `- ${e.name}: ${e.mitigation}`),
    '',
    '## Measured accuracy',
    '',
    ...(h
      ? [
          `Top-1 on ${h.total} held-out examples: ${h.correct}/${h.total} (${((100 * h.correct) / h.total).toFixed(1)}%), ${h.engine}, ${h.at}.`,
          '',
          '| class | correct | held out |',
          '|---|---|---|',
          ...h.perClass.map((c) => `| ${c.label} | ${c.correct} | ${c.total} |`),
        ]
      : ['None: no examples were held out (`edgerun learn --holdout FRACTION`, or `edgerun eval MODEL DATA`).']),
    '',
  ].join('\n');
}

/** The card of a model file `edgerun learn` wrote, or undefined for any other file. */
export function learnedCardOfModel(bytes: Uint8Array, source: string): LearnedCard | undefined {
  const state = readImprintingState(unpackModel(bytes, source));
  return state && learnedCard(state);
}

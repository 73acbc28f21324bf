import type { RawImage } from '../image/index.js';

/**
 * The model as a black box: images in, the explained score of each out (a class's probability, or for a detection
 * the best match to the target box). The engine is only invoked; no gradients, no intermediate tensors.
 */
export type Scorer = (images: RawImage[]) => Promise<number[]>;

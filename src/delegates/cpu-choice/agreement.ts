/** How two engines' outputs compare (cpu calibration keeps only candidates that agree with the builtin kernels). */
export interface Agreement {
  agrees: boolean;
  /** The largest difference seen, in tolerance units (≤ 1 agrees), with the output it was in. */
  worst: number;
  detail: string;
}

/** Bumped when a rule changes what agrees (2: quantized outputs in whole steps; embeddings by cosine). */
export const AGREEMENT_RULE_VERSION = 2;

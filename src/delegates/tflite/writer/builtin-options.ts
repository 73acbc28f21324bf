/**
 * The builtin options tables edgerun can copy or write, field by field as declared in schema.fbs. A model whose
 * operators carry options not listed here cannot be rewritten: `optionsLayout` says so by name.
 */
import type { OptionValue } from './model-tables.js';

export type OptionKind = OptionValue['kind'];

/** `BuiltinOptions` union type values. */
export const BuiltinOptionsType = {
  Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, FullyConnectedOptions: 8, SoftmaxOptions: 9,
  ConcatenationOptions: 10, AddOptions: 11, L2NormOptions: 12, ReshapeOptions: 17, MulOptions: 21, PadOptions: 22,
  SubOptions: 28, DivOptions: 29, SqueezeOptions: 30,
} as const;

// Field kinds in declaration order (field id = position). Enums are bytes, bools u8.
const LAYOUTS: Record<number, { name: string; fields: readonly OptionKind[] }> = {
  1: { name: 'Conv2DOptions', fields: ['i8', 'i32', 'i32', 'i8', 'i32', 'i32', 'i8'] },
  2: { name: 'DepthwiseConv2DOptions', fields: ['i8', 'i32', 'i32', 'i32', 'i8', 'i32', 'i32'] },
  5: { name: 'Pool2DOptions', fields: ['i8', 'i32', 'i32', 'i32', 'i32', 'i8'] },
  8: { name: 'FullyConnectedOptions', fields: ['i8', 'i8', 'u8', 'u8', 'i8'] },
  9: { name: 'SoftmaxOptions', fields: ['f32'] },
  10: { name: 'ConcatenationOptions', fields: ['i32', 'i8'] },
  11: { name: 'AddOptions', fields: ['i8', 'u8'] },
  12: { name: 'L2NormOptions', fields: ['i8'] },
  17: { name: 'ReshapeOptions', fields: ['i32s'] },
  21: { name: 'MulOptions', fields: ['i8'] },
  22: { name: 'PadOptions', fields: [] },
  28: { name: 'SubOptions', fields: ['i8', 'u8'] },
  29: { name: 'DivOptions', fields: ['i8'] },
  30: { name: 'SqueezeOptions', fields: ['i32s'] },
};

export function optionsLayout(type: number): { name: string; fields: readonly OptionKind[] } | undefined {
  return LAYOUTS[type];
}

export function knownOptionsNames(): string[] {
  return Object.values(LAYOUTS).map((l) => l.name);
}

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
  SubOptions: 28, DivOptions: 29, SqueezeOptions: 30, ResizeBilinearOptions: 15, GatherOptions: 23, TransposeOptions: 26,
  ReducerOptions: 27, StridedSliceOptions: 32, SplitOptions: 35, CastOptions: 37, DequantizeOptions: 38,
  MaximumMinimumOptions: 39, ArgMaxOptions: 40, SliceOptions: 48, ExpandDimsOptions: 52, PackOptions: 59, UnpackOptions: 64,
  FloorDivOptions: 65, ResizeNearestNeighborOptions: 74, LeakyReluOptions: 75, GatherNdOptions: 83, QuantizeOptions: 89,
  HardSwishOptions: 91,
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
  15: { name: 'ResizeBilinearOptions', fields: ['i32', 'i32', 'u8', 'u8'] },
  23: { name: 'GatherOptions', fields: ['i32', 'i32'] },
  26: { name: 'TransposeOptions', fields: [] },
  27: { name: 'ReducerOptions', fields: ['u8'] },
  32: { name: 'StridedSliceOptions', fields: ['i32', 'i32', 'i32', 'i32', 'i32', 'u8'] },
  35: { name: 'SplitOptions', fields: ['i32'] },
  37: { name: 'CastOptions', fields: ['i8', 'i8'] },
  38: { name: 'DequantizeOptions', fields: [] },
  39: { name: 'MaximumMinimumOptions', fields: [] },
  40: { name: 'ArgMaxOptions', fields: ['i8'] },
  48: { name: 'SliceOptions', fields: [] },
  52: { name: 'ExpandDimsOptions', fields: [] },
  59: { name: 'PackOptions', fields: ['i32', 'i32'] },
  64: { name: 'UnpackOptions', fields: ['i32', 'i32'] },
  65: { name: 'FloorDivOptions', fields: [] },
  74: { name: 'ResizeNearestNeighborOptions', fields: ['u8', 'u8'] },
  75: { name: 'LeakyReluOptions', fields: ['f32'] },
  83: { name: 'GatherNdOptions', fields: [] },
  89: { name: 'QuantizeOptions', fields: [] },
  91: { name: 'HardSwishOptions', fields: [] },
};

export function optionsLayout(type: number): { name: string; fields: readonly OptionKind[] } | undefined {
  return LAYOUTS[type];
}

export function knownOptionsNames(): string[] {
  return Object.values(LAYOUTS).map((l) => l.name);
}

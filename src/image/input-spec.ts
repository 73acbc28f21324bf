import { InputShapeError } from '../errors.js';
import { MAX_IMAGE_SIDE } from './bmp.js';
import type { ImageInputDType, InputSpec, Normalize } from './types.js';

/** ImageNet mean/std (torchvision's [0.485, 0.456, 0.406] / [0.229, 0.224, 0.225]) in 0..255 pixel units. */
export const IMAGENET_NORMALIZE: Normalize = {
  mean: [123.675, 116.28, 103.53],
  std: [58.395, 57.12, 57.375],
};

export interface InputGeometry {
  width: number;
  height: number;
  channels: 1 | 3;
  layout: 'NHWC' | 'NCHW';
}

const IMAGE_DTYPES: readonly string[] = ['uint8', 'int8', 'float32'] satisfies ImageInputDType[];

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Height, width, channels and layout of an image input; InputShapeError when the shape is not a usable image. */
export function inputGeometry(spec: InputSpec): InputGeometry {
  const { shape } = spec;
  if (shape.length !== 4) {
    throw new InputShapeError(`image input shape ${shapeText(shape)} is not 4-D ([1, H, W, C] or [1, C, H, W])`);
  }
  const [n, d1, d2, d3] = shape as [number, number, number, number];
  const layout = spec.layout ?? (d3 !== 1 && d3 !== 3 && (d1 === 1 || d1 === 3) ? 'NCHW' : 'NHWC');
  const [height, width, channels] = layout === 'NHWC' ? [d1, d2, d3] : [d2, d3, d1];
  // -1 is a dynamic batch dimension (common in ONNX exports); one image fills it.
  if (n !== 1 && n !== -1) throw new InputShapeError(`image input shape ${shapeText(shape)} has batch ${n}, only 1 is supported`);
  if (channels !== 1 && channels !== 3) {
    throw new InputShapeError(`image input shape ${shapeText(shape)} (${layout}) has ${channels} channels, expected 1 or 3`);
  }
  for (const side of [height, width]) {
    if (!Number.isInteger(side) || side <= 0 || side > MAX_IMAGE_SIDE) {
      throw new InputShapeError(`image input shape ${shapeText(shape)} (${layout}) has a bad height or width`);
    }
  }
  return { width, height, channels, layout };
}

/** Narrows an engine's tensor description (e.g. a TensorInfo) to an InputSpec; InputShapeError for other dtypes. */
export function toInputSpec(
  tensor: {
    shape: readonly number[];
    dtype: string;
    quantization: { scale: number; zeroPoint: number };
    layout?: 'NHWC' | 'NCHW';
  },
  normalize?: Normalize,
): InputSpec {
  if (!IMAGE_DTYPES.includes(tensor.dtype)) {
    throw new InputShapeError(`image input has dtype ${tensor.dtype}; supported: uint8, int8, float32`);
  }
  const spec: InputSpec = {
    shape: tensor.shape,
    dtype: tensor.dtype as ImageInputDType,
    quantization: tensor.quantization,
  };
  if (tensor.layout !== undefined) spec.layout = tensor.layout;
  if (normalize !== undefined) spec.normalize = normalize;
  inputGeometry(spec);
  return spec;
}

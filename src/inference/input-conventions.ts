/**
 * Input conventions a model implies when the user states none (`--normalize`, `--resize` always win):
 * - ONNX image metadata (onnx/onnx docs/MetadataProps.md): `Image.NominalPixelRange` sets the value range, and
 *   `Image.BitmapPixelFormat` must be RGB or grey (edgerun feeds RGB; a BGR model would get swapped channels);
 * - a float NCHW RGB classifier with 1000 classes is a torchvision-style ImageNet model: ImageNet mean/std
 *   (TF-slim classifiers have 1001 classes and NHWC inputs, and are left to the defaults);
 * - a one-channel (grey) image input is resized nearest-neighbour, as MNIST-style reference pipelines do.
 */
import type { TensorInfo, OnnxModelInfo, ModelFileInfo } from '../delegates/index.js';
import { UsageError } from '../errors.js';
import { IMAGENET_NORMALIZE, inputGeometry, toInputSpec, type InputSpec, type Normalize, type ResizeMode } from '../image/index.js';
import { buildPixelLut } from '../image/pixel-lut.js';
import type { TaskKind } from '../tasks/auto.js';
import { significantDims } from '../tasks/tensor.js';

export interface ImpliedConventions {
  normalize?: Normalize;
  resize?: ResizeMode;
}

const PIXEL_RANGES: Record<string, Normalize> = {
  NominalRange_0_255: { mean: [0], std: [1] },
  Normalized_0_1: 'unit',
  Normalized_1_1: 'signed',
  // Studio swing: 0..255 maps onto 16..235.
  NominalRange_16_235: { mean: [(-16 * 255) / 219], std: [255 / 219] },
};
const RGB_OR_GREY = new Set(['Rgb8', 'Rgba8', 'Gray8']);
const IMAGENET_CLASSES = 1000;

export function impliedConventions(
  fileInfo: ModelFileInfo | OnnxModelInfo,
  input: TensorInfo,
  outputs: readonly { shape: readonly number[] }[],
  task: TaskKind,
): ImpliedConventions {
  const implied: ImpliedConventions = {};
  const geometry = inputGeometry(toInputSpec(input));
  if (geometry.channels === 1) implied.resize = 'nearest';

  if (fileInfo.format === 'onnx') {
    const props = fileInfo.metadataProps;
    const pixelFormat = props['Image.BitmapPixelFormat'];
    if (pixelFormat !== undefined && !RGB_OR_GREY.has(pixelFormat)) {
      throw new UsageError(
        `the model's metadata says Image.BitmapPixelFormat = ${pixelFormat}; edgerun feeds RGB (or grey) pixels, ` +
          `so the model would see its colour channels swapped`,
      );
    }
    const range = props['Image.NominalPixelRange'];
    if (range !== undefined) {
      const normalize = PIXEL_RANGES[range];
      if (normalize === undefined) {
        throw new UsageError(
          `the model's metadata says Image.NominalPixelRange = ${range}, which is not one of ` +
            `${Object.keys(PIXEL_RANGES).join(', ')}; say how to normalize with --normalize (task.normalize)`,
        );
      }
      return { ...implied, normalize };
    }
  }

  const classes = outputs.length === 1 ? significantDims(outputs[0]!.shape) : [];
  const torchvisionClassifier =
    task === 'classify' && input.dtype === 'float32' && geometry.layout === 'NCHW' && geometry.channels === 3 && classes[0] === IMAGENET_CLASSES;
  if (torchvisionClassifier) implied.normalize = IMAGENET_NORMALIZE;
  return implied;
}

/** Fewer distinct input levels than this after a QDQ model's input quantizer, and the model cannot see the image. */
const MIN_INPUT_LEVELS = 32;

/**
 * A QDQ model quantizes its float input first; when the values edgerun feeds (after normalization) span only a few
 * of that quantizer's steps, the model was calibrated for other preprocessing, and its results will be poor. Returns
 * a sentence saying so, or undefined.
 */
export function inputQuantizerWarning(fileInfo: ModelFileInfo | OnnxModelInfo, inputName: string, spec: InputSpec): string | undefined {
  if (fileInfo.format !== 'onnx' || spec.dtype !== 'float32') return undefined;
  const q = fileInfo.inputs.find((i) => i.name === inputName)?.quantization;
  if (q === undefined) return undefined;
  const lut = buildPixelLut(spec, inputGeometry(spec).channels);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of lut) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const levels = Math.floor((Math.min(hi, q.range[1]) - Math.max(lo, q.range[0])) / q.scale) + 1;
  if (levels >= MIN_INPUT_LEVELS) return undefined;
  const r = (n: number): string => Number(n.toPrecision(4)).toString();
  return (
    `the model quantizes input "${inputName}" to ${q.dtype} in steps of ${r(q.scale)} (${r(q.range[0])}..${r(q.range[1])}), ` +
    `but the values fed span ${r(lo)}..${r(hi)}: only ${Math.max(0, levels)} distinct levels reach the network, so its ` +
    `results will be poor. It was probably calibrated with other preprocessing: check --normalize, or re-quantize it`
  );
}

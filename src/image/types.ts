/** Decoded pixels: 8-bit sRGB, 3 interleaved channels, rows top to bottom, no row padding. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
}

/**
 * How pixel values (0..255) become the model's real input values before quantization:
 * - `'unit'`: p / 255, in [0, 1]
 * - `'signed'`: p / 127.5 - 1, in [-1, 1]
 * - `{ mean, std }`: (p - mean[c]) / std[c], with mean and std in 0..255 pixel units (TFLite metadata and pycoral
 *   convention). Torchvision-style constants given on [0, 1] must be multiplied by 255 (see IMAGENET_NORMALIZE).
 *   One value applies to every channel; otherwise one per channel.
 */
export type Normalize = { mean: number[]; std: number[] } | 'unit' | 'signed';

export type ImageInputDType = 'uint8' | 'int8' | 'float32';

/** What a model's image input looks like; a TensorInfo can be narrowed to one with `toInputSpec`. */
export interface InputSpec {
  /** [1, H, W, C] for NHWC, [1, C, H, W] for NCHW; C is 3 (RGB) or 1 (luma). */
  shape: readonly number[];
  dtype: ImageInputDType;
  /** scale 0 means not quantized. Ignored for float32. */
  quantization: { scale: number; zeroPoint: number };
  /** Default: NHWC, unless the shape only makes sense as NCHW ([1, 1|3, H, W] with a last dim not 1 or 3). */
  layout?: 'NHWC' | 'NCHW';
  /**
   * Default for float32: 'unit'. Default for uint8/int8: none, the pixel bytes are copied shifted into the dtype's
   * range (uint8: p, int8: p - 128), which is what pycoral's `common.set_input` does and what full-range
   * post-training-quantized image models expect. When given for uint8/int8, q = round(real / scale + zeroPoint)
   * clamped to the dtype (or round(real) clamped when scale is 0).
   */
  normalize?: Normalize;
}

/**
 * - `'bilinear'`: stretch to the input size, ignoring aspect ratio, with a plain 2-tap bilinear (half-pixel centres,
 *   as TensorFlow's resize_bilinear and OpenCV's INTER_LINEAR): what most TFLite reference results assume.
 * - `'nearest'`: stretch, nearest neighbour.
 * - `'area'`: stretch with sharp's smoothing (antialiased) resize: less aliasing on big shrinks, but values differ
 *   from TensorFlow's resize.
 * - `'letterbox'`: keep aspect ratio (bilinear), centre, pad the rest with `padValue`.
 */
export type ResizeMode = 'bilinear' | 'nearest' | 'letterbox' | 'area';

export interface PreprocessOptions {
  /** Default 'bilinear'. */
  resize?: ResizeMode;
  /** Pixel value (0..255, every channel) used for letterbox padding, before normalization. Default 114 (YOLO's grey). */
  padValue?: number;
}

/**
 * Where the source image sits inside the model input, in continuous pixel coordinates (0 is the left/top edge,
 * width/height the right/bottom edge): inputX = srcX * scaleX + padX. Map a model-input point back with
 * `inputToSource`.
 */
export interface InputTransform {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  srcWidth: number;
  srcHeight: number;
  inputWidth: number;
  inputHeight: number;
}

export type ImageTensor = Uint8Array | Int8Array | Float32Array;

export interface PreprocessedImage {
  tensor: ImageTensor;
  transform: InputTransform;
}

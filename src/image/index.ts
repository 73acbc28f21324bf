export { decodeBmp, isBmp, MAX_IMAGE_SIDE, type BmpImage } from './bmp.js';
export { decodeImage, decodeImageFile, readImageFile } from './decode.js';
export { sniffImageFormat, type ImageFormat } from './format.js';
export { IMAGENET_NORMALIZE, inputGeometry, toInputSpec, type InputGeometry } from './input-spec.js';
export { resizeBilinearRgb } from './bilinear.js';
export { prepareImage } from './prepare.js';
export { DEFAULT_PAD_VALUE, preprocessImage, RESIZE_MODES } from './preprocess.js';
export { inputToSource } from './resize.js';
export type * from './types.js';

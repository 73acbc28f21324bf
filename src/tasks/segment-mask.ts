/**
 * A segmentation result's class map, carried beside the published result for viewers (the web UI's mask overlay)
 * under a symbol key: JSON, message rounding and every publisher skip it, so the map (513×513 for DeepLab) never
 * reaches MQTT or HTTP answers.
 */
import type { ImageTransform } from './geometry.js';
import type { ClassMap } from './segment.js';

export interface SegmentMask {
  width: number;
  height: number;
  classMap: ClassMap;
  /** Maps model-input coordinates back to the source image. */
  transform: ImageTransform;
}

const MASK = Symbol('edgerun.segmentMask');

export function withSegmentMask<T extends object>(result: T, mask: SegmentMask): T {
  Object.defineProperty(result, MASK, { value: mask, enumerable: false });
  return result;
}

export function segmentMaskOf(result: object): SegmentMask | undefined {
  return (result as { [MASK]?: SegmentMask })[MASK];
}

/** The PASCAL VOC colour map (DeepLab's): class 0 black, 1 (128,0,0), 3 (128,128,0), ... */
export function vocColour(id: number): [number, number, number] {
  let r = 0;
  let g = 0;
  let b = 0;
  let c = id;
  for (let bit = 7; bit >= 0; bit--) {
    r |= (c & 1) << bit;
    g |= ((c >> 1) & 1) << bit;
    b |= ((c >> 2) & 1) << bit;
    c >>= 3;
  }
  return [r, g, b];
}

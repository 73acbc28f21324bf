/**
 * SSD anchor generation as MediaPipe's SsdAnchorsCalculator does it (ssd_anchors_calculator.cc, the
 * non-multiscale path): consecutive layers with the same stride share one grid, and their anchors are emitted
 * together per cell.
 */
export interface SsdAnchorOptions {
  inputWidth: number;
  inputHeight: number;
  numLayers: number;
  strides: number[];
  minScale: number;
  maxScale: number;
  anchorOffsetX?: number;
  anchorOffsetY?: number;
  aspectRatios?: number[];
  /** Per-layer feature map sizes; when absent, ceil(input / stride). */
  featureMapWidths?: number[];
  featureMapHeights?: number[];
  /** Adds one anchor per layer with scale sqrt(scale * next scale) and this aspect ratio, when > 0. */
  interpolatedScaleAspectRatio?: number;
  reduceBoxesInLowestLayer?: boolean;
  /** Every anchor 1x1: the model regresses absolute sizes. */
  fixedAnchorSize?: boolean;
}

/** Centre and size normalised to the model input. */
export interface Anchor {
  xCenter: number;
  yCenter: number;
  w: number;
  h: number;
}

/** mediapipe/modules/face_detection/face_detection_short_range.pbtxt */
export const BLAZEFACE_SHORT_RANGE_ANCHORS: SsdAnchorOptions = {
  inputWidth: 128,
  inputHeight: 128,
  numLayers: 4,
  strides: [8, 16, 16, 16],
  minScale: 0.1484375,
  maxScale: 0.75,
  anchorOffsetX: 0.5,
  anchorOffsetY: 0.5,
  aspectRatios: [1.0],
  interpolatedScaleAspectRatio: 1.0,
  fixedAnchorSize: true,
};

function layerScale(minScale: number, maxScale: number, index: number, count: number): number {
  return count === 1 ? (minScale + maxScale) / 2 : minScale + ((maxScale - minScale) * index) / (count - 1);
}

export function generateSsdAnchors(o: SsdAnchorOptions): Anchor[] {
  const {
    strides,
    aspectRatios = [1.0],
    anchorOffsetX = 0.5,
    anchorOffsetY = 0.5,
    interpolatedScaleAspectRatio = 0,
  } = o;
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < o.numLayers) {
    const ratios: number[] = [];
    const scales: number[] = [];
    let last = layer;
    while (last < strides.length && strides[last] === strides[layer]) {
      const scale = layerScale(o.minScale, o.maxScale, last, strides.length);
      if (last === 0 && o.reduceBoxesInLowestLayer) {
        ratios.push(1.0, 2.0, 0.5);
        scales.push(0.1, scale, scale);
      } else {
        for (const r of aspectRatios) {
          ratios.push(r);
          scales.push(scale);
        }
        if (interpolatedScaleAspectRatio > 0) {
          const next = last === strides.length - 1 ? 1.0 : layerScale(o.minScale, o.maxScale, last + 1, strides.length);
          scales.push(Math.sqrt(scale * next));
          ratios.push(interpolatedScaleAspectRatio);
        }
      }
      last++;
    }
    // A layer beyond `strides` (only possible with explicit feature maps) still needs a step.
    if (last === layer) last = layer + 1;

    const sizes = ratios.map((r, i) => ({ w: (scales[i] ?? 0) * Math.sqrt(r), h: (scales[i] ?? 0) / Math.sqrt(r) }));
    const stride = strides[layer] ?? 1;
    const fmHeight = o.featureMapHeights?.[layer] ?? Math.ceil(o.inputHeight / stride);
    const fmWidth = o.featureMapWidths?.[layer] ?? Math.ceil(o.inputWidth / stride);
    for (let y = 0; y < fmHeight; y++) {
      for (let x = 0; x < fmWidth; x++) {
        for (const size of sizes) {
          anchors.push({
            xCenter: (x + anchorOffsetX) / fmWidth,
            yCenter: (y + anchorOffsetY) / fmHeight,
            w: o.fixedAnchorSize ? 1 : size.w,
            h: o.fixedAnchorSize ? 1 : size.h,
          });
        }
      }
    }
    layer = last;
  }
  return anchors;
}

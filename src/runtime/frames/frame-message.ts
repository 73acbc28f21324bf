/** What a pipeline hands the frame hub with each inference: the frame it ran on and the result published for it. */
import type { Frame } from '../../sensors/index.js';
import type { SegmentMask } from '../../tasks/segment-mask.js';
import type { ResultMessage } from '../messages.js';

export interface FrameMessage {
  pipeline: string;
  frame: Frame;
  /** The result as published (rounded, after task.labels), whether or not publish.results sends it anywhere. */
  result: ResultMessage;
  /** Segmentation pipelines: the class map, drawn on annotated views. */
  mask?: SegmentMask;
}

/** One encoded view of a frame: plain, or with the result drawn on it. */
export interface EncodedView {
  seq: number;
  capturedAt: number;
  jpeg: Buffer;
  width: number;
  height: number;
  /** The frame's own size; results are in its pixels. */
  sourceWidth: number;
  sourceHeight: number;
  annotated: boolean;
  /** The result published for this frame (its frame.seq is `seq`). */
  result: ResultMessage;
}

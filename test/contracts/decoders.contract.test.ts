/**
 * The decoder contract (decoder-contract.ts) on every task decoder in src/tasks, fed what it is fed in the daemon:
 * the dequantized outputs of the shared models, each run once on two shared images (or, for keyword, two streams
 * of the shared speech clips), and called with the options and mapped into a message as the model runners do
 * (src/inference/model-runner.ts, audio-model-runner.ts).
 */
import { readFileSync } from 'node:fs';
import type { Engine } from '../../src/delegates/core/engine.js';
import { TfliteEngine } from '../../src/delegates/tflite/tflite-engine.js';
import { UsageError } from '../../src/errors.js';
import { prepareImage, readImageFile, toInputSpec, type Normalize, type PreprocessOptions } from '../../src/image/index.js';
import { planAudioInput } from '../../src/inference/audio-input.js';
import { classify, looksLikeLogits, softmax, type ClassifyResult } from '../../src/tasks/classify.js';
import { decodeSsd } from '../../src/tasks/detect-ssd.js';
import { decodeYolo } from '../../src/tasks/detect-yolo.js';
import type { DetectionResult } from '../../src/tasks/detection.js';
import { decodeFaces, type FaceResult } from '../../src/tasks/face.js';
import type { ImageTransform } from '../../src/tasks/geometry.js';
import { KeywordRecognizer } from '../../src/tasks/keyword.js';
import { parseLabels } from '../../src/tasks/labels.js';
import { OutputLayoutError } from '../../src/tasks/output-layout-error.js';
import { decodePose, type PoseResult } from '../../src/tasks/pose.js';
import { segment, type SegmentationResult } from '../../src/tasks/segment.js';
import type { OutputTensor } from '../../src/tasks/tensor.js';
import { parseYoloNames } from '../../src/tasks/yolo-names.js';
import { loadClip } from '../audio/speech.js';
import { sharedDir, sharedMedia, sharedModel } from '../helpers/paths.js';
import { decoderContract, type DecoderInputs } from './decoder-contract.js';

const text = (file: string): string => readFileSync(`${sharedDir}/${file}`, 'utf8');

/** An image decoder's input: the model's outputs and how the source image was mapped onto the model input. */
interface ImageOutputs {
  outputs: OutputTensor[];
  transform: ImageTransform;
}

/** The outputs a runner hands the decoder: every output tensor, dequantized. */
function outputsOf(engine: Engine): OutputTensor[] {
  return engine.outputs.map((o, i) => ({ name: o.name, shape: [...o.shape], data: engine.outputFloat(i) }));
}

/** Opens `model`, runs it on each image (through the image module) and disposes it. */
async function runModel(model: string, images: string[], options: PreprocessOptions & { normalize?: Normalize } = {}): Promise<ImageOutputs[]> {
  const engine = await TfliteEngine.fromFile(sharedModel(model));
  try {
    const input = engine.inputs[0];
    if (!input) throw new Error(`${model} has no input`);
    const { normalize, ...pre } = options;
    const runs: ImageOutputs[] = [];
    for (const image of images) {
      const prepared = await prepareImage(await readImageFile(sharedMedia(image)), image, toInputSpec(input, normalize), pre);
      engine.setInput(0, prepared.tensor);
      await engine.invoke();
      runs.push({ outputs: outputsOf(engine), transform: prepared.transform });
    }
    return runs;
  } finally {
    engine.dispose();
  }
}

/** The model's outputs on two images: the decoder's input and the other input of the purity check. */
async function imageInputs(model: string, images: [string, string], options: PreprocessOptions & { normalize?: Normalize } = {}): Promise<DecoderInputs<ImageOutputs>> {
  const [a, b] = await runModel(model, images, options);
  if (!a || !b) throw new Error('two runs expected');
  return { input: a, other: b, image: { width: a.transform.srcWidth, height: a.transform.srcHeight } };
}

function tensor(name: string, shape: number[], values: (i: number) => number): OutputTensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return { name, shape, data: Float32Array.from({ length: n }, (_, i) => values(i)) };
}

/** `good` with its outputs replaced. */
const withOutputs = (good: ImageOutputs, outputs: OutputTensor[]): ImageOutputs => ({ outputs, transform: good.transform });

function first(outputs: readonly OutputTensor[]): OutputTensor {
  const out = outputs[0];
  if (!out) throw new Error('the test gave the decoder no output');
  return out;
}

const layout = { error: OutputLayoutError, code: 'OUTPUT_LAYOUT' } as const;

// ---- classify: MobileNet v1 0.25 on bird.bmp and parrot.jpg, topK 5 (the runner's default) ----
const imagenet = parseLabels(text('models/imagenet_labels.txt'));
decoderContract<ImageOutputs, ClassifyResult>(
  'classify (MobileNet v1 0.25 quant)',
  {
    task: 'classify',
    decode: ({ outputs }) => classify(first(outputs), { topK: 5, threshold: 0, labels: imagenet }),
    messages: (r) => [{ ...r }],
    found: (r) => r.classes.length,
    malformed: [
      {
        what: "an SSD's boxes [1,10,4]",
        input: (good) => withOutputs(good, [tensor('boxes', [1, 10, 4], (i) => (i % 4) / 4)]),
        ...layout,
        message: /^classify: expected one vector of class scores like \[1,N\], got boxes\[1,10,4\]$/,
      },
      {
        what: 'a class map [1,513,513]',
        input: (good) => withOutputs(good, [tensor('ArgMax', [1, 513, 513], () => 0)]),
        ...layout,
        message: /got ArgMax\[1,513,513\]/,
      },
    ],
  },
  () => imageInputs('mobilenet_v1_0.25_128_quant.tflite', ['bird.bmp', 'parrot.jpg'], { resize: 'area' }),
);

// ---- SSD: MobileNet v1 SSD with TFLite_Detection_PostProcess on cats_and_dogs.jpg and pets.jpg ----
const coco90 = parseLabels(text('models/coco90_labels.txt'));
decoderContract<ImageOutputs, DetectionResult>(
  'SSD detection (SSD MobileNet v1, TFLite_Detection_PostProcess)',
  {
    task: 'detect',
    decode: ({ outputs, transform }) => decodeSsd(outputs, transform, { labels: coco90 }),
    messages: (r) => [{ ...r }],
    found: (r) => r.objects.length,
    malformed: [
      {
        what: 'three outputs (no count)',
        input: (good) => withOutputs(good, good.outputs.slice(0, 3)),
        ...layout,
        message: /^SSD: expected 4 outputs, got 3; expected boxes \[1,N,4\], classes \[1,N\], scores \[1,N\], count \[1\], got .*\[1,10,4\]/,
      },
      {
        what: 'scores for 9 boxes of 10',
        input: (good) =>
          withOutputs(
            good,
            good.outputs.map((o) => (o.shape.length === 2 && o.shape[1] === 10 && o.name.endsWith(':2') ? { name: o.name, shape: [1, 9], data: o.data.slice(0, 9) } : o)),
          ),
        ...layout,
        message: /classes and scores must have one value per box;.*TFLite_Detection_PostProcess:2\[1,9\]/,
      },
      {
        what: 'no boxes output',
        input: (good) => withOutputs(good, good.outputs.map((o) => (o.shape.length === 3 ? { name: o.name, shape: [1, 40], data: o.data } : o))),
        ...layout,
        message: /^SSD: no boxes output/,
      },
    ],
  },
  () => imageInputs('ssd_mobilenet_v1_coco_quant_postprocess.tflite', ['cats_and_dogs.jpg', 'pets.jpg']),
);

// ---- YOLO: YOLOv8n int8 on bus.jpg and cats_and_dogs.jpg, letterboxed, p/255 (see test/tasks/expected-rows.ts) ----
const yoloNames = parseYoloNames(text('models/yolov8n_metadata.yaml'));
decoderContract<ImageOutputs, DetectionResult>(
  'YOLO detection (YOLOv8n int8)',
  {
    task: 'detect',
    decode: ({ outputs, transform }) => decodeYolo(first(outputs), transform, { labels: yoloNames }),
    messages: (r) => [{ ...r }],
    found: (r) => r.objects.length,
    malformed: [
      {
        what: 'a 4-D output [1,84,8400,1]',
        input: (good) => withOutputs(good, [{ ...first(good.outputs), shape: [1, 84, 8400, 1] }]),
        ...layout,
        message: /^YOLO: expected \[1, 4\+classes, N\] or \[1, N, 4\+classes\], got PartitionedCall:0\[1,84,8400,1\]$/,
      },
      {
        what: 'fewer than 5 channels [1,3,3]',
        input: (good) => withOutputs(good, [tensor('head', [1, 3, 3], () => 0.5)]),
        ...layout,
        message: /got head\[1,3,3\]/,
      },
    ],
  },
  () => imageInputs('yolov8n_full_integer_quant.tflite', ['yolo/bus.jpg', 'cats_and_dogs.jpg'], { resize: 'letterbox', normalize: 'unit' }),
);

// ---- segment: DeepLab v3 (int64 class map) on bird_segmentation.bmp and cat.bmp ----
const pascal = parseLabels(text('models/pascal_voc_segmentation_labels.txt'));
decoderContract<ImageOutputs, SegmentationResult>(
  'segment (DeepLab v3 MobileNet v2 0.5)',
  {
    task: 'segment',
    decode: ({ outputs }) => segment(first(outputs), { labels: pascal }),
    // The runner publishes the shares and the map's size; the class map itself stays in the process.
    messages: (r) => [{ width: r.width, height: r.height, classes: r.classes }],
    found: (r) => r.classes.length,
    malformed: [
      {
        what: 'a vector [1001]',
        input: (good) => withOutputs(good, [tensor('scores', [1001], () => 0.001)]),
        ...layout,
        message: /^segment: expected a class map \[1,H,W\] or scores \[1,H,W,C\], got scores\[1001\]$/,
      },
      {
        what: 'a class map holding a non-integer id',
        input: (good) => withOutputs(good, [tensor('map', [1, 4, 4], (i) => (i === 5 ? 2.5 : 1))]),
        ...layout,
        message: /^segment: a class map must hold ids 0\.\.65535, found 2\.5 in map\[1,4,4\]$/,
      },
    ],
  },
  () => imageInputs('deeplabv3_mnv2_dm05_pascal_quant.tflite', ['bird_segmentation.bmp', 'cat.bmp']),
);

// ---- pose: MoveNet lightning on squat.bmp and grace_hopper.bmp (nearest resize, as the reference) ----
decoderContract<ImageOutputs, PoseResult>(
  'pose (MoveNet single pose lightning)',
  {
    task: 'pose',
    decode: ({ outputs, transform }) => decodePose(first(outputs), transform),
    messages: (r) => [{ ...r }],
    found: (r) => r.keypoints.length,
    malformed: [
      {
        what: 'keypoints of two values [1,1,17,2]',
        input: (good) => withOutputs(good, [tensor('kp', [1, 1, 17, 2], () => 0.5)]),
        ...layout,
        message: /^pose: expected MoveNet keypoints \[1,1,17,3\], got kp\[1,1,17,2\]$/,
      },
      {
        what: '16 keypoints [1,1,16,3]',
        input: (good) => withOutputs(good, [tensor('kp', [1, 1, 16, 3], () => 0.5)]),
        ...layout,
        message: /got kp\[1,1,16,3\]/,
      },
    ],
  },
  () => imageInputs('movenet_single_pose_lightning_ptq.tflite', ['squat.bmp', 'grace_hopper.bmp'], { resize: 'nearest' }),
);

// ---- face: BlazeFace short range on sergey.png and grace_hopper.bmp (letterboxed, [-1,1]) ----
decoderContract<ImageOutputs, FaceResult>(
  'face (BlazeFace short range)',
  {
    task: 'face',
    decode: ({ outputs, transform }) => decodeFaces(outputs, transform),
    messages: (r) => [{ ...r }],
    found: (r) => r.objects.length,
    malformed: [
      {
        what: 'the regressors alone',
        input: (good) => withOutputs(good, good.outputs.slice(0, 1)),
        ...layout,
        message: /^face: expected regressors \[1,896,4\+2K\] and scores \[1,896,1\] for 896 anchors, got regressors\[1,896,16\]$/,
      },
      {
        what: 'outputs for 895 anchors of 896',
        input: (good) => withOutputs(good, [tensor('r', [1, 895, 16], () => 0), tensor('s', [1, 895, 1], () => 0)]),
        ...layout,
        message: /for 896 anchors, got r\[1,895,16\], s\[1,895,1\]$/,
      },
    ],
  },
  () => imageInputs('face_detection_short_range.tflite', ['sergey.png', 'grace_hopper.bmp'], { resize: 'letterbox', padValue: 0, normalize: 'signed' }),
);

// ---- keyword: micro_speech's scores over two streams of the speech clips, recognised as the audio runner does ----

/** One window's class scores (probabilities) and the stream time of its end. */
interface ScoredWindow {
  scores: Float32Array;
  endMs: number;
}

const speechLabels = ['silence', 'unknown', 'yes', 'no'];
/**
 * One recogniser for every decode, reset first, as the audio runner resets its own for each new stream: so the
 * purity checks also hold reset() to forgetting everything.
 */
const recognizer = new KeywordRecognizer({ labels: speechLabels });

interface KeywordStepResult {
  classes: ClassifyResult['classes'];
  keyword?: { label: string; score: number; time: number };
}

/** micro_speech run on every window of each stream (one after the other: the engine has one input tensor). */
async function scoredStreams(streams: string[][]): Promise<ScoredWindow[][]> {
  const engine = await TfliteEngine.fromFile(sharedModel('micro_speech_quantized.tflite'));
  try {
    const input = engine.inputs[0];
    if (!input) throw new Error('micro_speech has no input');
    const scored: ScoredWindow[][] = [];
    for (const names of streams) {
      const plan = planAudioInput(input, {});
      const clips = names.map((n) => loadClip(`${n}_1000ms.wav`));
      const samples = new Int16Array(clips.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const clip of clips) {
        samples.set(clip, at);
        at += clip.length;
      }
      const windows: ScoredWindow[] = [];
      for (const w of plan.stream.push(samples)) {
        engine.setInput(0, w.tensor);
        await engine.invoke();
        const raw = engine.outputFloat(0);
        windows.push({ scores: looksLikeLogits(raw) ? softmax(raw) : raw, endMs: (w.endSample * 1000) / plan.stream.sampleRate });
      }
      scored.push(windows);
    }
    return scored;
  } finally {
    engine.dispose();
  }
}

decoderContract<ScoredWindow[], KeywordStepResult[]>(
  'keyword (KeywordRecognizer over micro_speech scores)',
  {
    task: 'keyword',
    decode: (windows) => {
      recognizer.reset();
      return windows.map(({ scores, endMs }) => {
        const step = recognizer.push(scores, endMs);
        const { classes } = classify({ name: 'scores', shape: [scores.length], data: scores }, { topK: 3, applySoftmax: false, labels: speechLabels });
        return { classes, ...(step.event ? { keyword: step.event } : {}) };
      });
    },
    messages: (steps) => steps,
    found: (steps) => steps.filter((s) => s.keyword).length,
    malformed: [
      {
        what: 'a window with 3 class scores in a stream of 4',
        input: (good) => [...good.slice(0, 5), { scores: Float32Array.from([0.2, 0.3, 0.5]), endMs: (good[4]?.endMs ?? 0) + 100 }],
        error: UsageError,
        code: 'USAGE',
        message: /^keyword scores changed from 4 to 3 classes mid-stream$/,
      },
      {
        what: 'a window that ends before the one before it',
        input: (good) => [...good.slice(0, 5), { scores: Float32Array.from(good[0]?.scores ?? []), endMs: 10 }],
        error: UsageError,
        code: 'USAGE',
        message: /^keyword scores must arrive in time order: 10 ms came after \d+ ms$/,
      },
    ],
  },
  async () => {
    const [input, other] = await scoredStreams([
      ['silence', 'yes', 'silence', 'no', 'silence'],
      ['no', 'silence', 'noise', 'yes'],
    ]);
    if (!input || !other) throw new Error('two streams expected');
    return { input, other };
  },
);

/**
 * The daemon's config schema: the single source of truth for validation, defaults and documentation
 * (`description` on each field). Fields marked `restart` need a daemon restart; everything under `pipelines`
 * is applied live on SIGHUP.
 */
import { CPU_VARIANTS, ENGINE_CHOICES, ONNX_GRAPH_OPTIMIZATIONS, engineChoiceDescription } from '../delegates/index.js';
import { modelsConfigSchema, pipelineCatalogRefSchema } from '../models/models-config.js';
import { SOURCE_DEFINITIONS, SOURCE_TYPES } from '../sensors/index.js';
import { TASK_NAMES } from '../tasks/task-registry.js';
import { trustConfigSchema } from '../trust/trust-config.js';
import { eventsConfigSchema } from './events/events-config.js';
import { fleetConfigSchema } from './fleet/fleet-config.js';

const sourceSchemas = SOURCE_DEFINITIONS.map((d) => d.schema);
export { SOURCE_TYPES };

const pipelineSchema = {
  type: 'object',
  required: ['id', 'source', 'model'],
  additionalProperties: false,
  properties: {
    id: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'lower-case letters, digits, - and _; used in MQTT topics',
    },
    enabled: { type: 'boolean', default: true },
    source: {
      type: 'object',
      required: ['type'],
      properties: { type: { enum: SOURCE_TYPES } },
      // Discriminated on `type`, so errors speak of the one variant the user meant.
      allOf: sourceSchemas.map((s) => ({
        if: { properties: { type: { const: s.properties.type.const } } },
        then: s,
      })),
    },
    model: {
      type: 'object',
      additionalProperties: false,
      description: 'path or catalog (one of them)',
      properties: {
        path: { type: 'string', minLength: 1, description: 'a .tflite file; relative paths resolve against modelsDir' },
        catalog: pipelineCatalogRefSchema,
        id: { type: 'string', description: 'the id published with results; default: the file name without extension' },
        labels: { type: 'string', description: 'labels file (.txt or YOLO .yaml); default: labels embedded in the model' },
        engine: { enum: ENGINE_CHOICES, default: 'auto', description: engineChoiceDescription() },
        device: {
          type: 'string',
          pattern: '^(any|(usb|pci)?(:[0-9]+)?)$',
          description: "this pipeline's Edge TPU: a pycoral device string ('', usb, usb:N, pci, pci:N, :N), or any: every Edge TPU, each inference on the first free one; default engines.edgetpuDevice",
        },
      },
    },
    task: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        type: {
          enum: ['auto', ...TASK_NAMES],
          default: 'auto',
          description: 'auto: read from the model; audio sources (microphone, wav) always run keyword',
        },
        topK: { type: 'integer', minimum: 1, maximum: 1000 },
        labels: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          minItems: 1,
          uniqueItems: true,
          description:
            "detect: publish only objects of these labels (results, events, Home Assistant's per-label entities); each must be a label of the model",
        },
        threshold: { type: 'number', minimum: 0, maximum: 1, description: 'keyword: averaged score that detects a keyword (default 0.8)' },
        iou: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        resize: { enum: ['bilinear', 'nearest', 'letterbox', 'area'] },
        normalize: {
          description:
            'how pixels become input values: imagenet, unit (p/255), signed (p/127.5-1), raw (p), "MEAN/STD" text, or ' +
            '{mean, std} lists (1 or 3 values; 0..255 pixel units, or 0..1 units when every value is at most 1); ' +
            'default: from the model (ONNX image metadata, ImageNet for 1000-class NCHW float classifiers) or its family',
          anyOf: [
            { type: 'string', minLength: 1 },
            {
              type: 'object',
              required: ['mean', 'std'],
              additionalProperties: false,
              properties: {
                mean: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 3 },
                std: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1, maxItems: 3 },
              },
            },
          ],
        },
        hopMs: { type: 'number', minimum: 10, maximum: 10000, description: 'keyword: audio between two inferences (default 100)' },
        averageWindowMs: { type: 'number', minimum: 10, maximum: 10000, description: 'keyword: scores are averaged over this much audio (default 500)' },
        minCount: { type: 'integer', minimum: 1, maximum: 1000, description: 'keyword: windows in the average before a detection (default 3)' },
        suppressionMs: { type: 'number', minimum: 0, maximum: 600000, description: 'keyword: minimum gap between two detections (default 1000)' },
        input: { enum: ['auto', 'features', 'waveform'], description: 'keyword: micro_speech feature frames or raw samples (default: read from the model input)' },
        windowMs: { type: 'number', minimum: 10, maximum: 60000, description: 'keyword, waveform models: audio per window (default: the model input length)' },
      },
    },
    fps: { type: 'number', exclusiveMinimum: 0, maximum: 240, description: 'inference rate limit; frames between are skipped' },
    publish: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        results: {
          type: 'boolean',
          description: 'publish <pipeline>/result per inference; default true, false for audio sources (microphone, wav), whose events carry the keywords',
        },
        events: { type: 'boolean', default: true, description: 'detection pipelines: Frigate-style new/update/end events; keyword pipelines: one event per keyword' },
        minScore: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'objects below this do not start events (events.labels.<label>.minScore overrides it per label)' },
      },
    },
    events: eventsConfigSchema,
  },
} as const;

export const configSchema = {
  $id: 'https://edgerun.invalid/schemas/config.json',
  type: 'object',
  additionalProperties: false,
  required: ['pipelines'],
  properties: {
    version: { const: 1, default: 1 },
    device: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'default: the host name; used in MQTT topics' },
        name: { type: 'string' },
      },
    },
    modelsDir: { type: 'string', default: 'models', description: 'restart; where relative model paths resolve' },
    stateDir: { type: 'string', default: '.state', description: 'restart; outbox, model store, card store, event run numbers' },
    engines: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        threads: {
          type: 'integer',
          minimum: 1,
          maximum: 64,
          description: 'CPU threads per model; absent: measured (1 and the core count are both tried when cpuVariant is auto, else 1)',
        },
        cpuVariant: {
          enum: CPU_VARIANTS,
          default: 'auto',
          description:
            'TFLite on the CPU: auto runs a short calibration of every CPU runtime (builtin kernels and XNNPACK at 1 and ' +
            'N threads, the WASM TFLite runtime at 1), keeps only those whose outputs agree with the builtin kernels, ' +
            'uses the fastest and caches the choice in stateDir/engine-choice.json; xnnpack (falls back to builtin when ' +
            'XNNPACK cannot prepare the model), builtin or wasm pins one',
        },
        tfliteLibrary: { type: 'string', description: 'restart; override the bundled libtensorflowlite_c.so' },
        edgetpuLibrary: { type: 'string', description: 'restart; override libedgetpu.so.1' },
        onnxGraphOptimization: {
          enum: ONNX_GRAPH_OPTIMIZATIONS,
          default: 'all',
          description: "ONNX Runtime's graph optimisation level for ONNX models (threads sets its intra-op threads)",
        },
        edgetpuDevice: {
          type: 'string',
          default: '',
          pattern: '^(any|(usb|pci)?(:[0-9]+)?)$',
          description: "pycoral device string: '', usb, usb:N, pci, pci:N, :N; or any: pipelines share every Edge TPU, each inference on the first free one",
        },
        invokeTimeoutMs: { type: 'integer', minimum: 100, default: 10000, description: 'watchdog: flag an invoke that runs longer' },
        tpuRetryMs: { type: 'integer', minimum: 1000, default: 60000, description: 'after a TPU failure, retry it this often' },
      },
    },
    mqtt: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', pattern: '^(mqtt|mqtts|ws|wss|tcp|ssl)://', description: 'restart; absent: the embedded broker' },
        clientId: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        ca: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        qos: { enum: [0, 1, 2], default: 1 },
        topicPrefix: { type: 'string', default: 'edgerun', pattern: '^[^#+]+$' },
        statsIntervalS: { type: 'number', minimum: 1, default: 30 },
        outboxMaxBytes: { type: 'integer', minimum: 65536, default: 67108864 },
        homeAssistant: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            discoveryPrefix: { type: 'string', default: 'homeassistant' },
          },
        },
      },
    },
    broker: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description:
        'restart; the embedded MQTT 3.1.1 broker (aedes: no MQTT 5; MQTT 5 clients are refused), used when mqtt.url is absent; ' +
        'listening beyond loopback requires username and password',
      properties: {
        host: { type: 'string', default: '127.0.0.1', description: 'a non-loopback address (0.0.0.0, a LAN address) requires username and password' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 1883, description: 'in use (a distribution mosquitto on 1883): choose another, or set mqtt.url' },
        username: { type: 'string', minLength: 1, description: 'clients (the daemon included) must give it; EDGERUN_BROKER_USERNAME overrides' },
        password: { type: 'string', minLength: 1, description: 'required with username; EDGERUN_BROKER_PASSWORD overrides' },
      },
    },
    http: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
        token: { type: 'string', minLength: 16, description: 'bearer token; required when host is not loopback' },
        maxBodyBytes: { type: 'integer', minimum: 1024, default: 10485760 },
      },
    },
    ui: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'the web UI at / and the frame endpoints (snapshot.jpg, stream.mjpeg); frames are encoded only while someone watches',
      properties: {
        enabled: { type: 'boolean', default: true, description: 'serve the web UI at /' },
        maxFps: { type: 'number', exclusiveMinimum: 0, maximum: 30, default: 5, description: 'JPEG encodes per pipeline per second at most, however many viewers' },
        maxWidth: { type: 'integer', minimum: 64, maximum: 3840, default: 640, description: 'frames wider than this are scaled down for viewers' },
        quality: { type: 'integer', minimum: 10, maximum: 100, default: 80, description: 'JPEG quality of viewer frames' },
      },
    },
    models: modelsConfigSchema,
    trust: trustConfigSchema,
    fleet: fleetConfigSchema,
    log: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info' } },
    },
    pipelines: { type: 'array', items: pipelineSchema, minItems: 0 },
  },
} as const;

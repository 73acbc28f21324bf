/** Loads, validates and resolves the daemon config (YAML). Every problem names its key path. */
import type { CpuVariantSetting, EngineChoice, OnnxGraphOptimization } from '../delegates/index.js';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import YAML from 'yaml';
import { ConfigError, errorMessage } from '../errors.js';
import { parseNormalize, type NormalizeSetting, type ResizeMode } from '../image/index.js';
import { sourceDefinition, sourceProblems, type SourceConfig } from '../sensors/index.js';
import type { TaskName as RegisteredTaskName } from '../tasks/task-registry.js';
import { configSchema } from './config-schema.js';
import { audioTaskProblems, isAudioSource, type KeywordTaskConfig } from './audio-task-config.js';
import { modelsConfigProblems, resolveCatalogModels, resolveModelsPaths, type ModelsConfig } from '../models/models-config.js';
import { trustProblems, type TrustConfig } from '../trust/trust-config.js';
import { eventsProblems, type EventsConfig } from './events/events-config.js';
import { fleetProblems, type FleetConfig } from './fleet/fleet-config.js';

/** A pipeline's `task.type`: a registered task, or auto. */
export type TaskName = 'auto' | RegisteredTaskName;

export interface PipelineConfig {
  id: string;
  enabled: boolean;
  source: SourceConfig;
  /** `path` is set after loading also when the config names a `catalog` model (it then points into the store). */
  model: { path: string; catalog?: string; id?: string; labels?: string; engine: EngineChoice; device?: string; /** Set from the catalog entry of a `catalog` model. */ version?: string };
  task: {
    type: TaskName;
    topK?: number;
    threshold?: number;
    iou?: number;
    resize?: ResizeMode;
    normalize?: NormalizeSetting;
    /** detect: only objects of these labels are published (checked against the model's labels when it loads). */
    labels?: string[];
  } & KeywordTaskConfig;
  fps?: number;
  publish: { results: boolean; events: boolean; minScore: number };
  /** detect: zones, masks, per-label filters, snapshots. */
  events: EventsConfig;
}

export interface DaemonConfig {
  version: 1;
  device: { id: string; name?: string };
  modelsDir: string;
  stateDir: string;
  engines: {
    threads?: number;
    cpuVariant: CpuVariantSetting;
    onnxGraphOptimization: OnnxGraphOptimization;
    tfliteLibrary?: string;
    edgetpuLibrary?: string;
    edgetpuDevice: string;
    invokeTimeoutMs: number;
    tpuRetryMs: number;
  };
  mqtt: {
    url?: string;
    clientId?: string;
    username?: string;
    password?: string;
    ca?: string;
    cert?: string;
    key?: string;
    qos: 0 | 1 | 2;
    topicPrefix: string;
    statsIntervalS: number;
    outboxMaxBytes: number;
    homeAssistant: { enabled: boolean; discoveryPrefix: string };
  };
  broker: { host: string; port: number; username?: string; password?: string };
  http: { enabled: boolean; host: string; port: number; token?: string; maxBodyBytes: number };
  ui: { enabled: boolean; maxFps: number; maxWidth: number; quality: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' };
  models: ModelsConfig;
  trust: TrustConfig;
  fleet: FleetConfig;
  pipelines: PipelineConfig[];
  /** Where the file was read from (for messages). */
  source: string;
  /**
   * With `isolatePipelineProblems`: the problems of pipelines that cannot start, by pipeline id. The daemon reports
   * those pipelines failed with these lines and runs the others.
   */
  pipelineProblems: Record<string, string[]>;
}

export interface ConfigOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * `serve` and reload: a problem of one pipeline (a source it cannot build, a missing model file) fails that pipeline
   * only. Without it (`config check`), every problem refuses the file.
   */
  isolatePipelineProblems?: boolean;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(configSchema);

/** `/pipelines/0/source/fps` → `pipelines[0].source.fps` */
function keyPath(instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (extra) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

function describeAjvError(e: ErrorObject, data: unknown): string | undefined {
  const params = e.params as Record<string, unknown>;
  // A key that breaks a propertyNames rule (zone names): name the key, not the whole mapping.
  if (e.propertyName !== undefined) return `${keyPath(e.instancePath, e.propertyName)}: not a valid name (${e.message ?? e.keyword})`;
  switch (e.keyword) {
    case 'propertyNames':
      return undefined; // reported by the error about the name itself
    case 'additionalProperties':
      return `${keyPath(e.instancePath, String(params.additionalProperty))}: unknown key`;
    case 'required':
      return `${keyPath(e.instancePath, String(params.missingProperty))}: required`;
    case 'enum':
      return `${keyPath(e.instancePath)}: expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(valueAt(data, e.instancePath))}`;
    case 'const':
      return `${keyPath(e.instancePath)}: expected ${JSON.stringify(params.allowedValue)}; got ${JSON.stringify(valueAt(data, e.instancePath))}`;
    case 'type':
      return `${keyPath(e.instancePath)}: expected ${String(params.type)}; got ${JSON.stringify(valueAt(data, e.instancePath))}`;
    case 'if':
      return undefined; // the branch's own errors say what is wrong
    default:
      return `${keyPath(e.instancePath)}: ${e.message ?? e.keyword}; got ${JSON.stringify(valueAt(data, e.instancePath))}`;
  }
}

function valueAt(data: unknown, instancePath: string): unknown {
  let cur: unknown = data;
  for (const p of instancePath.split('/').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Environment variables that override config keys (secrets kept out of the file). */
const ENV_OVERRIDES: [string, 'mqtt' | 'broker', 'url' | 'username' | 'password'][] = [
  ['EDGERUN_MQTT_URL', 'mqtt', 'url'],
  ['EDGERUN_MQTT_USERNAME', 'mqtt', 'username'],
  ['EDGERUN_MQTT_PASSWORD', 'mqtt', 'password'],
  ['EDGERUN_BROKER_USERNAME', 'broker', 'username'],
  ['EDGERUN_BROKER_PASSWORD', 'broker', 'password'],
];

export async function loadConfig(file: string, options: ConfigOptions = {}): Promise<DaemonConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${errorMessage(err)}`]);
  }
  return parseConfig(text, file, options);
}

export function parseConfig(text: string, file: string, options: ConfigOptions = {}): DaemonConfig {
  const env = options.env ?? process.env;
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message}`));
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError(file, ['(top level): expected a mapping of keys (device, mqtt, pipelines, ...)']);
  }
  const raw = data as Record<string, unknown>;
  raw.mqtt ??= {};
  for (const [name, section, key] of ENV_OVERRIDES) {
    if (!env[name]) continue;
    const target = raw[section];
    // A section that is not a mapping is the schema's to report; the override does not paper over it.
    if (target === undefined || target === null) raw[section] = { [key]: env[name] };
    else if (typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>)[key] = env[name];
  }
  if (!validate(raw)) {
    const problems = [...new Set((validate.errors ?? []).map((e) => describeAjvError(e, raw)).filter((p): p is string => !!p))];
    throw new ConfigError(file, problems);
  }
  const config = raw as unknown as DaemonConfig;
  config.source = file;
  config.device.id ??= sanitizeId(os.hostname());
  applyPublishDefaults(config.pipelines);
  resolvePaths(config, path.dirname(path.resolve(file)));
  let problems = [
    ...trustProblems(config.trust),
    ...fleetProblems(config),
    ...modelsConfigProblems(config.models),
    ...resolveCatalogModels(config.pipelines, config.models, config.stateDir),
  ];
  problems.push(...semanticProblems(config));
  config.pipelineProblems = {};
  if (options.isolatePipelineProblems) {
    problems = problems.filter((p) => {
      const index = PIPELINE_PROBLEM.exec(p)?.[1];
      const pipeline = index === undefined ? undefined : config.pipelines[Number(index)];
      if (!pipeline || DUPLICATE_ID.test(p)) return true;
      (config.pipelineProblems[pipeline.id] ??= []).push(p);
      return false;
    });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

/**
 * `publish.results` defaults to false for audio pipelines: a keyword pipeline infers every hop (10 a second by default),
 * and its events already carry the keywords. An explicit `true` still publishes every window's result.
 */
function applyPublishDefaults(pipelines: PipelineConfig[]): void {
  for (const p of pipelines) {
    const publish = p.publish as Omit<PipelineConfig['publish'], 'results'> & { results?: boolean };
    publish.results ??= !isAudioSource(p.source);
  }
}

function sanitizeId(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'edgerun';
}

function resolvePaths(config: DaemonConfig, base: string): void {
  config.modelsDir = path.resolve(base, config.modelsDir);
  config.stateDir = path.resolve(base, config.stateDir);
  resolveModelsPaths(config.models, base);
  for (const p of config.pipelines) {
    if (p.model.path !== undefined) p.model.path = path.resolve(config.modelsDir, p.model.path);
    if (p.model.labels) p.model.labels = path.resolve(config.modelsDir, p.model.labels);
    const s = p.source as unknown as Record<string, unknown>;
    for (const key of sourceDefinition(p.source.type)?.pathKeys ?? []) {
      if (typeof s[key] === 'string') s[key] = path.resolve(base, s[key]);
    }
  }
  for (const k of ['ca', 'cert', 'key'] as const) {
    const v = config.mqtt[k];
    if (v) config.mqtt[k] = path.resolve(base, v);
  }
}

/** A problem of one pipeline: `pipelines[N]...`; a repeated id is the file's problem, not one pipeline's. */
const PIPELINE_PROBLEM = /^pipelines\[(\d+)\]/;
const DUPLICATE_ID = /^pipelines\[\d+\]\.id: /;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

function semanticProblems(config: DaemonConfig): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  config.pipelines.forEach((p, i) => {
    const at = `pipelines[${i}]`;
    if (seen.has(p.id)) problems.push(`${at}.id: "${p.id}" is used by another pipeline; ids must be unique`);
    seen.add(p.id);
    if (p.model.path === undefined) {
      if (p.model.catalog === undefined) problems.push(`${at}.model: give path (a model file) or catalog (a catalog model id)`);
    } else if (!isFile(p.model.path)) problems.push(`${at}.model.path: no model file at ${p.model.path}`);
    if (p.model.labels && !isFile(p.model.labels)) problems.push(`${at}.model.labels: no labels file at ${p.model.labels}`);
    problems.push(...audioTaskProblems(p, at));
    problems.push(...labelProblems(p, at));
    problems.push(...eventsProblems(p.events, p.task.labels, `${at}.events`));
    if (p.task.normalize !== undefined) {
      try {
        parseNormalize(p.task.normalize, `${at}.task.normalize`);
      } catch (err) {
        problems.push(errorMessage(err));
      }
    }
    problems.push(...sourceProblems(p.source, `${at}.source`));
  });
  if (config.http.enabled && !LOOPBACK.test(config.http.host) && !config.http.token) {
    problems.push(`http.token: required when http.host (${config.http.host}) is not a loopback address`);
  }
  problems.push(...brokerProblems(config));
  for (const k of ['ca', 'cert', 'key'] as const) {
    const v = config.mqtt[k];
    if (v && !isFile(v)) problems.push(`mqtt.${k}: no file at ${v}`);
  }
  return problems;
}

/** `task.labels` filters detections: refused where there are none (the labels themselves are checked at model load). */
function labelProblems(p: PipelineConfig, at: string): string[] {
  if (p.task.labels === undefined) return [];
  if (isAudioSource(p.source)) return [`${at}.task.labels: audio pipelines run the keyword task, which has no objects to filter; remove labels`];
  if (p.task.type !== 'auto' && p.task.type !== 'detect') {
    return [`${at}.task.labels: only detect pipelines keep detections by label; task.type is "${p.task.type}"`];
  }
  return [];
}

/** The embedded broker (no mqtt.url) beyond loopback needs credentials; a username needs its password and back. */
function brokerProblems(config: DaemonConfig): string[] {
  const { host, username, password } = config.broker;
  if (config.mqtt.url) return [];
  if (!LOOPBACK.test(host) && (!username || !password)) {
    return [
      `broker.username, broker.password: required when broker.host (${host}) is not a loopback address, or anyone on the ` +
        'network may publish and subscribe to the embedded broker, model commands included; set both (the password ' +
        'may come from EDGERUN_BROKER_PASSWORD), or keep broker.host at 127.0.0.1',
    ];
  }
  if (username && !password) return ['broker.password: required with broker.username (or set EDGERUN_BROKER_PASSWORD)'];
  if (password && !username) return ['broker.username: required with broker.password (or set EDGERUN_BROKER_USERNAME)'];
  return [];
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

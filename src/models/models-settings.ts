/**
 * What the `edgerun models`, `keys` and `sign` commands need from a daemon config (state directory, catalog,
 * download limits, HTTP address, device id), read leniently: a config whose pipelines name models that are not
 * installed yet must still tell `models pull` where the store is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { errorMessage } from '../errors.js';
import { ConfigError } from '../errors.js';
import { modelsConfigSchema, resolveCatalogDir, resolveModelsPaths, type ModelsConfig } from './models-config.js';

export interface ModelsSettings {
  stateDir: string;
  models: ModelsConfig;
  http: { host: string; port: number; token?: string };
  deviceId?: string;
  /** The config file read, if any. */
  source?: string;
}

const applyModelDefaults = new Ajv({ useDefaults: true, strict: false }).compile(modelsConfigSchema);

export function defaultModelsConfig(): ModelsConfig {
  const models: Record<string, unknown> = {};
  applyModelDefaults(models);
  return { ...(models as unknown as ModelsConfig), catalogDir: resolveCatalogDir({}, process.cwd()) };
}

export function readModelsSettings(file: string): ModelsSettings {
  let raw: Record<string, unknown>;
  try {
    raw = (YAML.parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${errorMessage(err)}`]);
  }
  const base = path.dirname(path.resolve(file));
  const models = { ...((raw.models as Record<string, unknown> | undefined) ?? {}) };
  if (!applyModelDefaults(models)) {
    throw new ConfigError(file, (applyModelDefaults.errors ?? []).map((e) => `models${e.instancePath.replace(/\//g, '.')}: ${e.message ?? ''}`));
  }
  resolveModelsPaths(models as { catalogDir?: string; ca?: string }, base);
  const http = (raw.http as { host?: string; port?: number; token?: string } | undefined) ?? {};
  const device = (raw.device as { id?: string } | undefined) ?? {};
  return {
    stateDir: path.resolve(base, typeof raw.stateDir === 'string' ? raw.stateDir : '.state'),
    models: models as unknown as ModelsConfig,
    http: { host: http.host ?? '127.0.0.1', port: http.port ?? 8080, ...(http.token ? { token: http.token } : {}) },
    ...(device.id ? { deviceId: device.id } : {}),
    source: file,
  };
}

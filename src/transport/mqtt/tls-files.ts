/** Reads the PEM files named in the MQTT config, with an error that says which setting points where. */
import fs from 'node:fs/promises';
import { TransportConfigError } from '../transport-errors.js';

export interface TlsPaths {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export async function readTlsFiles(paths: TlsPaths, keyPrefix = 'mqtt'): Promise<TlsMaterial> {
  const out: TlsMaterial = {};
  for (const name of ['ca', 'cert', 'key'] as const) {
    const file = paths[name];
    if (file === undefined) continue;
    try {
      out[name] = await fs.readFile(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code})`;
      throw new TransportConfigError(`${keyPrefix}.${name}: TLS file ${file} ${why}`, `${keyPrefix}.${name}`);
    }
  }
  if ((out.cert === undefined) !== (out.key === undefined)) {
    const missing = out.cert === undefined ? 'cert' : 'key';
    throw new TransportConfigError(
      `${keyPrefix}.${missing} is required: a client certificate needs both cert and key`,
      `${keyPrefix}.${missing}`,
    );
  }
  return out;
}

/** Whether onnxruntime-node is installed with a binary for this platform (without loading it into this process). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errorMessage } from '../../errors.js';

export interface OnnxRuntimeStatus {
  available: boolean;
  version?: string;
  /** The native binding for this platform. */
  path?: string;
  error?: string;
}

export function onnxRuntimeStatus(): OnnxRuntimeStatus {
  try {
    const packageJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version?: string };
    // onnxruntime-node ships prebuilt bindings as bin/napi-v<N>/<platform>/<arch>/onnxruntime_binding.node.
    const bin = path.join(path.dirname(packageJson), 'bin');
    const napi = existsSync(bin) ? readdirSync(bin).filter((d) => d.startsWith('napi-v')) : [];
    const binding = napi.map((d) => path.join(bin, d, process.platform, process.arch, 'onnxruntime_binding.node')).find(existsSync);
    if (!binding) {
      return { available: false, ...(version ? { version } : {}), error: `onnxruntime-node has no binding for ${process.platform}-${process.arch}` };
    }
    return { available: true, ...(version ? { version } : {}), path: binding };
  } catch (err) {
    return { available: false, error: `onnxruntime-node is not installed: ${errorMessage(err)}` };
  }
}

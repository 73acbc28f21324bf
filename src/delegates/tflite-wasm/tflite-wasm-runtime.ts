/**
 * TensorFlow Lite compiled to WebAssembly, as `@tensorflow/tfjs-tflite` ships it (`wasm/tflite_web_api_cc*.{js,wasm}`,
 * TFLite with XNNPACK, single-threaded). Its loader is an Emscripten module factory written for browsers: given the
 * `.wasm` bytes directly it runs in Node without a fetch. One module (one heap) per engine.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const PACKAGE = '@tensorflow/tfjs-tflite';

/** Embind's handles: C++ objects the JavaScript side must `delete()`. */
interface Deletable {
  delete(): void;
}

export interface WasmTensorHandle extends Deletable {
  readonly name: string;
  readonly dataType: string;
  /** Comma-separated dimensions. */
  readonly shape: string;
  /** A view into the module's heap; not a view (0) for types the API does not expose. */
  data(): ArrayBufferView | number;
}

interface WasmVector<T> extends Deletable {
  size(): number;
  get(index: number): T;
}

export interface WasmModelRunner extends Deletable {
  GetInputs(): WasmVector<WasmTensorHandle>;
  GetOutputs(): WasmVector<WasmTensorHandle>;
  Infer(): boolean;
}

interface StatusOrRunner extends Deletable {
  ok(): boolean;
  errorMessage(): string;
  value(): WasmModelRunner;
}

export interface TfliteWasmModule {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      pointer: number,
      size: number,
      options: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): StatusOrRunner;
  };
}

interface ModuleSettings {
  /** Emscripten's hook for instantiating the module itself: here, from an already compiled WebAssembly.Module. */
  instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => WebAssembly.Exports;
  print: (line: string) => void;
  printErr: (line: string) => void;
}

type ModuleFactory = (settings: ModuleSettings) => Promise<TfliteWasmModule>;

/** The smallest module using a 128-bit SIMD instruction: does this Node (V8) run WebAssembly SIMD? */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  return WebAssembly.validate(SIMD_PROBE);
}

export interface WasmRuntimeFiles {
  /** e.g. `tfjs-tflite 0.0.1-alpha.10 wasm simd` */
  version: string;
  loader: string;
  binary: string;
}

/** Where the runtime's files are; throws when the package is not installed. */
export function locateWasmRuntime(): WasmRuntimeFiles {
  const pkg = require(`${PACKAGE}/package.json`) as { version: string };
  const build = wasmSimdSupported() ? 'tflite_web_api_cc_simd' : 'tflite_web_api_cc';
  return {
    version: `tfjs-tflite ${pkg.version} wasm${build.endsWith('simd') ? ' simd' : ''}`,
    loader: require.resolve(`${PACKAGE}/wasm/${build}.js`),
    binary: require.resolve(`${PACKAGE}/wasm/${build}.wasm`),
  };
}

/** The runtime's version string, or why it is not available. */
export function wasmRuntimeVersion(): { version: string } | { unavailable: string } {
  try {
    return { version: locateWasmRuntime().version };
  } catch (err) {
    return { unavailable: `${PACKAGE} is not installed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})` };
  }
}

let compiled: Promise<WebAssembly.Module> | undefined;

/**
 * The runtime's code, compiled once per process and shared by every engine's worker (a WebAssembly.Module crosses
 * postMessage without a copy, and V8 shares its machine code between threads: each engine then costs its own heap,
 * not another copy of 3.6 MB of WebAssembly compiled twice over).
 */
export function compiledWasmRuntime(files: WasmRuntimeFiles): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(readFileSync(files.binary));
  compiled.catch(() => {
    compiled = undefined;
  });
  return compiled;
}

/** Instantiates one module (one heap); `onLog` receives what TFLite prints (its error reporter writes to stderr). */
export async function instantiateWasmRuntime(
  files: WasmRuntimeFiles,
  code: WebAssembly.Module,
  onLog: (line: string) => void,
): Promise<TfliteWasmModule> {
  const factory = require(files.loader) as ModuleFactory;
  return factory({
    instantiateWasm: (imports, receive) => {
      const instance = new WebAssembly.Instance(code, imports);
      receive(instance);
      return instance.exports;
    },
    print: onLog,
    printErr: onLog,
  });
}

/**
 * The typed surface of libtensorflowlite_c (TFLite 2.9 C API) through koffi. This file is the only place that
 * knows the C signatures; tflite-engine.ts builds the Engine on top of it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import koffi, { type LibraryHandle, type TypeObject } from 'koffi';
import { LibraryLoadError, errorMessage } from '../../errors.js';

/** Opaque native pointers as koffi hands them back. */
export type NativePointer = unknown;

export interface TfliteApi {
  readonly path: string;
  version(): string;
  modelCreate(data: NativePointer, size: number): NativePointer | null;
  modelDelete(model: NativePointer): void;
  optionsCreate(): NativePointer;
  optionsDelete(options: NativePointer): void;
  optionsSetNumThreads(options: NativePointer, threads: number): void;
  optionsAddDelegate(options: NativePointer, delegate: NativePointer): void;
  optionsSetErrorReporter(options: NativePointer, reporter: bigint, userData: NativePointer | null): void;
  interpreterCreate(model: NativePointer, options: NativePointer): NativePointer | null;
  interpreterDelete(interpreter: NativePointer): void;
  inputCount(interpreter: NativePointer): number;
  inputTensor(interpreter: NativePointer, index: number): NativePointer;
  outputCount(interpreter: NativePointer): number;
  outputTensor(interpreter: NativePointer, index: number): NativePointer;
  allocateTensors(interpreter: NativePointer): number;
  invoke(interpreter: NativePointer): number;
  invokeAsync(interpreter: NativePointer, done: (err: unknown, status: number) => void): void;
  tensorType(tensor: NativePointer): number;
  tensorNumDims(tensor: NativePointer): number;
  tensorDim(tensor: NativePointer, index: number): number;
  tensorByteSize(tensor: NativePointer): number;
  tensorData(tensor: NativePointer): NativePointer | null;
  tensorName(tensor: NativePointer): string;
  tensorQuantization(tensor: NativePointer): { scale: number; zero_point: number };
  xnnpackAvailable: boolean;
  /** TfLiteXNNPackDelegateCreate with TF 2.9's options layout; null when the library has no XNNPACK or it refused. */
  xnnpackCreate(threads: number, flags: number): NativePointer | null;
  xnnpackDelete(delegate: NativePointer): void;
  /** The reporter prototype, for koffi.register. */
  readonly reporterType: TypeObject;
  /** vsnprintf from libc, to format the reporter's (format, va_list) pair. */
  formatVaList(format: string, vaList: NativePointer): string;
}

const ENV_OVERRIDE = 'EDGERUN_TFLITE_LIB';

function archDir(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (process.arch === 'x64') return 'linux_amd64';
  if (process.arch === 'arm64') return 'linux_arm64';
  return undefined;
}

/** Candidate paths in the order they are tried: explicit, env, the library tfjs-tflite-node ships, the system one. */
export function tfliteLibraryCandidates(explicit?: string): string[] {
  const candidates: string[] = [];
  if (explicit) candidates.push(explicit);
  const fromEnv = process.env[ENV_OVERRIDE];
  if (fromEnv) candidates.push(fromEnv);
  const dir = archDir();
  if (dir) {
    try {
      const require = createRequire(import.meta.url);
      const pkg = path.dirname(require.resolve('tfjs-tflite-node/package.json'));
      candidates.push(path.join(pkg, 'cc_deps', dir, 'libtensorflowlite_c.so'));
    } catch {
      // not installed: fall through to the system library
    }
  }
  candidates.push('libtensorflowlite_c.so');
  return [...new Set(candidates)];
}

let cached: TfliteApi | undefined;

/**
 * Loads the TFLite C library once per process. `explicitPath` (config key) and EDGERUN_TFLITE_LIB override the
 * bundled library; when nothing loads, the error lists every path tried with its loader message.
 */
export function loadTflite(explicitPath?: string): TfliteApi {
  if (cached && (!explicitPath || cached.path === explicitPath)) return cached;
  const failures: string[] = [];
  const tried = tfliteLibraryCandidates(explicitPath);
  for (const candidate of tried) {
    if (candidate.includes('/') && !existsSync(candidate)) {
      failures.push(`${candidate}: no such file`);
      continue;
    }
    try {
      cached = bind(koffi.load(candidate), candidate);
      return cached;
    } catch (err) {
      failures.push(`${candidate}: ${errorMessage(err)}`);
    }
  }
  throw new LibraryLoadError(
    `cannot load the TensorFlow Lite C library; tried:\n  ${failures.join('\n  ')}\n` +
      `Install dependencies (npm ci) or set ${ENV_OVERRIDE} to a libtensorflowlite_c.so path.`,
    tried,
  );
}

let tensorTypeDeclared = false;

function bind(lib: LibraryHandle, libPath: string): TfliteApi {
  if (!tensorTypeDeclared) {
    koffi.opaque('TfLiteModel');
    koffi.opaque('TfLiteInterpreterOptions');
    koffi.opaque('TfLiteInterpreter');
    koffi.opaque('TfLiteTensor');
    koffi.struct('TfLiteQuantizationParams', { scale: 'float', zero_point: 'int32_t' });
    // TF 2.9's TfLiteXNNPackDelegateOptions is exactly these 8 bytes (weights_cache came in 2.10); checked in the
    // shipped library: OptionsDefault returns it in rax alone and Create copies 8 bytes from the pointer.
    koffi.struct('TfLiteXNNPackDelegateOptions', { num_threads: 'int32_t', flags: 'uint32_t' });
    // va_list is passed as a pointer on x86-64 (array type) and on arm64 (struct > 16 bytes goes by reference).
    koffi.proto('void TfLiteErrorReporter(void *user_data, const char *format, void *args)');
    tensorTypeDeclared = true;
  }
  const libc = koffi.load('libc.so.6');
  const vsnprintf = libc.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, const char *fmt, void *args)');

  const f = {
    version: lib.func('const char *TfLiteVersion()'),
    modelCreate: lib.func('TfLiteModel *TfLiteModelCreate(const void *data, size_t size)'),
    modelDelete: lib.func('void TfLiteModelDelete(TfLiteModel *model)'),
    optionsCreate: lib.func('TfLiteInterpreterOptions *TfLiteInterpreterOptionsCreate()'),
    optionsDelete: lib.func('void TfLiteInterpreterOptionsDelete(TfLiteInterpreterOptions *o)'),
    setThreads: lib.func('void TfLiteInterpreterOptionsSetNumThreads(TfLiteInterpreterOptions *o, int32_t n)'),
    addDelegate: lib.func('void TfLiteInterpreterOptionsAddDelegate(TfLiteInterpreterOptions *o, void *d)'),
    setReporter: lib.func(
      'void TfLiteInterpreterOptionsSetErrorReporter(TfLiteInterpreterOptions *o, TfLiteErrorReporter *r, void *u)',
    ),
    interpCreate: lib.func(
      'TfLiteInterpreter *TfLiteInterpreterCreate(const TfLiteModel *m, const TfLiteInterpreterOptions *o)',
    ),
    interpDelete: lib.func('void TfLiteInterpreterDelete(TfLiteInterpreter *i)'),
    inputCount: lib.func('int32_t TfLiteInterpreterGetInputTensorCount(const TfLiteInterpreter *i)'),
    inputTensor: lib.func('TfLiteTensor *TfLiteInterpreterGetInputTensor(const TfLiteInterpreter *i, int32_t n)'),
    outputCount: lib.func('int32_t TfLiteInterpreterGetOutputTensorCount(const TfLiteInterpreter *i)'),
    outputTensor: lib.func('TfLiteTensor *TfLiteInterpreterGetOutputTensor(const TfLiteInterpreter *i, int32_t n)'),
    allocate: lib.func('int TfLiteInterpreterAllocateTensors(TfLiteInterpreter *i)'),
    invoke: lib.func('int TfLiteInterpreterInvoke(TfLiteInterpreter *i)'),
    tType: lib.func('int TfLiteTensorType(const TfLiteTensor *t)'),
    tNumDims: lib.func('int32_t TfLiteTensorNumDims(const TfLiteTensor *t)'),
    tDim: lib.func('int32_t TfLiteTensorDim(const TfLiteTensor *t, int32_t i)'),
    tByteSize: lib.func('size_t TfLiteTensorByteSize(const TfLiteTensor *t)'),
    tData: lib.func('void *TfLiteTensorData(const TfLiteTensor *t)'),
    tName: lib.func('const char *TfLiteTensorName(const TfLiteTensor *t)'),
    tQuant: lib.func('TfLiteQuantizationParams TfLiteTensorQuantizationParams(const TfLiteTensor *t)'),
  };
  let xnnCreate: ((options: { num_threads: number; flags: number }) => unknown) | undefined;
  let xnnDelete: ((delegate: NativePointer) => void) | undefined;
  try {
    xnnCreate = lib.func('void *TfLiteXNNPackDelegateCreate(const TfLiteXNNPackDelegateOptions *o)') as typeof xnnCreate;
    xnnDelete = lib.func('void TfLiteXNNPackDelegateDelete(void *d)') as typeof xnnDelete;
  } catch {
    xnnCreate = undefined;
  }
  const xnnpackAvailable = xnnCreate !== undefined && xnnDelete !== undefined;

  return {
    path: libPath,
    version: () => f.version() as string,
    modelCreate: (data, size) => f.modelCreate(data, size) as NativePointer | null,
    modelDelete: (m) => f.modelDelete(m),
    optionsCreate: () => f.optionsCreate() as NativePointer,
    optionsDelete: (o) => f.optionsDelete(o),
    optionsSetNumThreads: (o, n) => f.setThreads(o, n),
    optionsAddDelegate: (o, d) => f.addDelegate(o, d),
    optionsSetErrorReporter: (o, r, u) => f.setReporter(o, r, u),
    interpreterCreate: (m, o) => f.interpCreate(m, o) as NativePointer | null,
    interpreterDelete: (i) => f.interpDelete(i),
    inputCount: (i) => f.inputCount(i) as number,
    inputTensor: (i, n) => f.inputTensor(i, n) as NativePointer,
    outputCount: (i) => f.outputCount(i) as number,
    outputTensor: (i, n) => f.outputTensor(i, n) as NativePointer,
    allocateTensors: (i) => f.allocate(i) as number,
    invoke: (i) => f.invoke(i) as number,
    invokeAsync: (i, done) => f.invoke.async(i, done),
    tensorType: (t) => f.tType(t) as number,
    tensorNumDims: (t) => f.tNumDims(t) as number,
    tensorDim: (t, n) => f.tDim(t, n) as number,
    tensorByteSize: (t) => Number(f.tByteSize(t)),
    tensorData: (t) => f.tData(t) as NativePointer | null,
    tensorName: (t) => (f.tName(t) as string | null) ?? '',
    tensorQuantization: (t) => f.tQuant(t) as { scale: number; zero_point: number },
    xnnpackAvailable,
    xnnpackCreate: (threads, flags) => (xnnCreate ? ((xnnCreate({ num_threads: threads, flags }) as NativePointer | null) ?? null) : null),
    xnnpackDelete: (d) => xnnDelete?.(d),
    reporterType: koffi.pointer('TfLiteErrorReporter'),
    formatVaList: (format, vaList) => {
      const buf = Buffer.alloc(2048);
      const n = vsnprintf(buf, buf.length, format, vaList) as number;
      return buf.subarray(0, Math.max(0, Math.min(n, buf.length - 1))).toString('utf8');
    },
  };
}

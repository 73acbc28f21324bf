/* Reference for the invoke benchmark: the same libtensorflowlite_c.so driven from C, same input pattern.
   usage: tflite-invoke MODEL WARMUP RUNS  -> prints one invoke time in microseconds per line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tensorflow/lite/c/c_api.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: %s MODEL WARMUP RUNS\n", argv[0]); return 2; }
  int warmup = atoi(argv[2]), runs = atoi(argv[3]);
  TfLiteModel *model = TfLiteModelCreateFromFile(argv[1]);
  if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
  TfLiteInterpreterOptions *options = TfLiteInterpreterOptionsCreate();
  TfLiteInterpreterOptionsSetNumThreads(options, 1);
  TfLiteInterpreter *interp = TfLiteInterpreterCreate(model, options);
  if (!interp || TfLiteInterpreterAllocateTensors(interp) != kTfLiteOk) { fprintf(stderr, "cannot prepare\n"); return 1; }
  TfLiteTensor *in = TfLiteInterpreterGetInputTensor(interp, 0);
  unsigned char *data = TfLiteTensorData(in);
  size_t n = TfLiteTensorByteSize(in);
  for (size_t i = 0; i < n; i++) data[i] = (unsigned char)(i * 7 % 251);
  for (int i = 0; i < warmup; i++) TfLiteInterpreterInvoke(interp);
  for (int i = 0; i < runs; i++) {
    double t0 = now_us();
    if (TfLiteInterpreterInvoke(interp) != kTfLiteOk) { fprintf(stderr, "invoke failed\n"); return 1; }
    printf("%.1f\n", now_us() - t0);
  }
  TfLiteInterpreterDelete(interp);
  TfLiteInterpreterOptionsDelete(options);
  TfLiteModelDelete(model);
  return 0;
}

/**
 * Labels of well-known audio models that carry none inside the file, keyed by the file's sha256 (so a retrained
 * model with the same shape never gets the wrong words). A labels file given by the user always wins.
 */
const KNOWN: Record<string, readonly string[]> = {
  // tflite-micro micro_speech_quantized.tflite (micro_model_settings.h: kCategoryLabels).
  '09e5e2a9dfb2d8ed78802bf18ce297bff54281a66ca18e0c23d69ca14f822a83': ['silence', 'unknown', 'yes', 'no'],
};

export function knownModelLabels(sha256: string): readonly string[] | undefined {
  return KNOWN[sha256];
}

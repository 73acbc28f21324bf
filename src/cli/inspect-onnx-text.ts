/** The ONNX-only lines of `edgerun inspect`'s human output. */
import type { OnnxModelReport } from '../inference/inspect-model.js';

function fmt(n: number): string {
  return Number(n.toPrecision(6)).toString();
}

export function onnxReportLines(r: OnnxModelReport): string[] {
  const o = r.onnx;
  const q = o.quantization;
  const lines = [
    `producer: ${[o.producer.name, o.producer.version].filter(Boolean).join(' ') || 'not given'}` +
      (o.graphName ? `, graph "${o.graphName}"` : '') +
      (o.opsets.length > 1 ? `; opsets ${o.opsets.map((s) => `${s.domain || 'ai.onnx'} v${s.version}`).join(', ')}` : ''),
    q.quantized
      ? `quantized: ${q.format} (${q.quantizeLinear} QuantizeLinear, ${q.dequantizeLinear} DequantizeLinear, ${q.quantizedOps} quantized ops)`
      : 'quantized: no',
  ];
  for (const input of r.inputs) {
    const iq = input.inputQuantization;
    if (iq) {
      lines.push(
        `  input ${input.name}: ${iq.op} to ${iq.dtype}, scale=${fmt(iq.scale)} zero_point=${iq.zeroPoint} ` +
          `(represents ${fmt(iq.range[0])}..${fmt(iq.range[1])})`,
      );
    }
  }
  const weights = Object.entries(o.initializers.byDtype).map(([dtype, w]) => `${dtype} x${w.tensors} (${w.elements} values)`);
  lines.push(`initializers: ${o.initializers.count}${weights.length ? `: ${weights.join(', ')}` : ''}`);
  const props = Object.entries(o.metadataProps);
  if (props.length > 0) {
    lines.push('metadata props:');
    for (const [k, v] of props) lines.push(`  ${k}: ${v.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  return lines;
}

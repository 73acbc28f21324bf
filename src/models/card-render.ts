/** A model card as Markdown or as a standalone HTML page. */
import { describeTensors, type CardFile, type ModelCard, type PerformanceMetric } from './model-card.js';

export function cardToMarkdown(card: ModelCard): string {
  const d = card.model_details;
  const p = card.model_parameters;
  const c = card.considerations;
  const out: string[] = [
    `# ${d.name}`,
    '',
    d.overview,
    '',
    '## Model details',
    '',
    `- id: \`${d.id}\`, version ${d.version.name}`,
    `- owners: ${d.owners.map((o) => (o.contact ? `${o.name} (${o.contact})` : o.name)).join('; ')}`,
    `- licence: ${d.licenses.map((l) => l.identifier).join(', ')}`,
    `- source: ${d.source.name} ${d.source.url}${d.source.commit ? ` at ${d.source.commit}` : ''}`,
    `- references: ${d.references.map((r) => r.reference).join(', ')}`,
    `- citation: ${d.citations.map((x) => x.citation).join(' ')}`,
    '',
    '## Model parameters',
    '',
    `- architecture: ${p.model_architecture}`,
    `- task: ${p.task}`,
    `- input: ${p.input_format}`,
    `- output: ${p.output_format}`,
    `- labels: ${p.labels.count}${p.labels.embedded ? ' (embedded in the model)' : ''}${p.labels.file ? `, file ${p.labels.file}` : ''}`,
    '',
    '| file | role | bytes | sha256 | in the store |',
    '|---|---|---|---|---|',
    ...p.files.map((f) => `| ${f.name} | ${f.role} | ${f.size} | \`${f.sha256}\` | ${f.installed ? 'yes' : 'no'} |`),
    '',
    ...p.files.flatMap(fileFactsMarkdown),
    '## Considerations',
    '',
    '**Intended uses**',
    '',
    ...c.use_cases.map((u) => `- ${u.description}`),
    '',
    '**Out of scope**',
    '',
    ...c.out_of_scope_uses.map((u) => `- ${u.description}`),
    '',
    '**Limitations**',
    '',
    ...c.limitations.map((u) => `- ${u.description}`),
    '',
    '**Ethical considerations**',
    '',
    ...c.ethical_considerations.map((e) => `- ${e.name} Mitigation: ${e.mitigation_strategy}`),
    '',
    '## Quantitative analysis',
    '',
    ...metricsMarkdown(card.quantitative_analysis.performance_metrics),
  ];
  return out.join('\n') + '\n';
}

function fileFactsMarkdown(f: CardFile): string[] {
  if (!f.facts) return [];
  const t = f.facts;
  const ops = Object.entries(t.ops).map(([op, n]) => `${op} x${n}`).join(', ');
  const tensorLine = (x: CardFile['facts'] & object, which: 'inputs' | 'outputs'): string[] =>
    x[which].map((q) => `  - ${q.name}: ${q.dtype}[${q.shape.join(',')}]${q.quantization ? ` scale ${q.quantization.scale.toPrecision(6)} zero point ${q.quantization.zero_point}${q.quantization.per_channel ? ` (${q.quantization.per_channel} per-channel)` : ''}` : ''}`);
  return [
    `**${f.name}** (read from the file)`,
    '',
    '- inputs:',
    ...tensorLine(t, 'inputs'),
    '- outputs:',
    ...tensorLine(t, 'outputs'),
    `- ${t.operators} operators: ${ops}`,
    `- Edge TPU: ${t.edgetpu.compiled ? `compiled; ${t.edgetpu.ops_on_tpu} edgetpu-custom-op, ${t.edgetpu.ops_on_cpu} ops stay on the CPU` : 'not compiled (CPU only)'}`,
    '',
  ];
}

function metricsMarkdown(ms: PerformanceMetric[]): string[] {
  if (ms.length === 0) return ['No published figures in the catalog and nothing measured here yet (`edgerun models bench ID`).'];
  return [
    '| kind | metric | value | engine | platform | slice | source | note |',
    '|---|---|---|---|---|---|---|---|',
    ...ms.map((m) => `| ${m.kind} | ${m.type} | ${m.value} ${m.unit} | ${m.engine ?? ''} | ${m.platform ?? ''} | ${m.slice ?? ''} | ${m.source} | ${m.note ?? ''} |`),
  ];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function cardToHtml(card: ModelCard): string {
  const d = card.model_details;
  const p = card.model_parameters;
  const c = card.considerations;
  const list = (items: string[]): string => `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;
  const row = (cells: string[], tag = 'td'): string => `<tr>${cells.map((x) => `<${tag}>${esc(x)}</${tag}>`).join('')}</tr>`;
  const files = p.files
    .map((f) => {
      const facts = f.facts
        ? `<p><b>${esc(f.name)}</b>: inputs ${esc(describeTensors(f.facts.inputs))}; outputs ${esc(describeTensors(f.facts.outputs))}; ` +
          `${f.facts.operators} operators; Edge TPU ${f.facts.edgetpu.compiled ? `compiled (${f.facts.edgetpu.ops_on_tpu} on the TPU, ${f.facts.edgetpu.ops_on_cpu} on the CPU)` : 'not compiled'}</p>`
        : '';
      return facts;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(d.name)} — model card</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}code{font-size:90%}</style>
</head><body>
<h1>${esc(d.name)}</h1>
<p>${esc(d.overview)}</p>
<h2>Model details</h2>
${list([
  `id: ${d.id}, version ${d.version.name}`,
  `owners: ${d.owners.map((o) => o.name).join('; ')}`,
  `licence: ${d.licenses.map((l) => l.identifier).join(', ')}`,
  `source: ${d.source.name} ${d.source.url}${d.source.commit ? ` at ${d.source.commit}` : ''}`,
  `references: ${d.references.map((r) => r.reference).join(', ')}`,
  `citation: ${d.citations.map((x) => x.citation).join(' ')}`,
])}
<h2>Model parameters</h2>
${list([`architecture: ${p.model_architecture}`, `task: ${p.task}`, `input: ${p.input_format}`, `output: ${p.output_format}`, `labels: ${p.labels.count}`])}
<table>${row(['file', 'role', 'bytes', 'sha256', 'in the store'], 'th')}${p.files.map((f) => row([f.name, f.role, String(f.size), f.sha256, f.installed ? 'yes' : 'no'])).join('')}</table>
${files}
<h2>Considerations</h2>
<h3>Intended uses</h3>${list(c.use_cases.map((u) => u.description))}
<h3>Out of scope</h3>${list(c.out_of_scope_uses.map((u) => u.description))}
<h3>Limitations</h3>${list(c.limitations.map((u) => u.description))}
<h3>Ethical considerations</h3>${list(c.ethical_considerations.map((e) => `${e.name} Mitigation: ${e.mitigation_strategy}`))}
<h2>Quantitative analysis</h2>
<table>${row(['kind', 'metric', 'value', 'engine', 'platform', 'slice', 'source', 'note'], 'th')}${card.quantitative_analysis.performance_metrics
    .map((m) => row([m.kind, m.type, `${m.value} ${m.unit}`, m.engine ?? '', m.platform ?? '', m.slice ?? '', m.source, m.note ?? '']))
    .join('')}</table>
</body></html>
`;
}

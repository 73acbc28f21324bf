/** A model card as Markdown or as a standalone HTML page. */
import { describeTensors, type CardFile, type ModelCard, type PerformanceMetric } from './model-card.js';

/** What an imported model's empty hand-written fields say. */
export const NOT_PROVIDED = 'not provided by the importer';

/** `value`, or for an imported model whose field is empty, the words saying so. */
function given(card: ModelCard, value: string, mark = (t: string): string => `_${t}_`): string {
  return value || (card.model_details.imported ? mark(NOT_PROVIDED) : '');
}

function listed(card: ModelCard, items: string[]): string[] {
  return items.length > 0 ? items : card.model_details.imported ? [`_${NOT_PROVIDED}_`] : [];
}

/** The licence the file's own metadata states, if any (a fact from the file, not the importer's word). */
function fileLicence(card: ModelCard): string | undefined {
  return card.model_parameters.files.map((f) => f.facts?.metadata.license).find((l): l is string => !!l);
}

function importedNote(card: ModelCard): string[] {
  const i = card.model_details.imported;
  if (!i) return [];
  return [
    `> Imported with \`edgerun models import\` from \`${i.from}\` at ${i.at}. Not provided by the importer: ${i.not_provided_by_importer.join(', ')}. ` +
      'The tensors, quantization and ops below were read from the file.',
    '',
  ];
}

export function cardToMarkdown(card: ModelCard): string {
  const d = card.model_details;
  const p = card.model_parameters;
  const c = card.considerations;
  const licence = d.licenses.map((l) => l.identifier).join(', ');
  const metaLicence = fileLicence(card);
  const out: string[] = [
    `# ${d.name}`,
    '',
    ...importedNote(card),
    given(card, d.overview, (t) => `_Overview ${t}._`),
    '',
    '## Model details',
    '',
    `- id: \`${d.id}\`, version ${given(card, d.version.name)}`,
    `- owners: ${given(card, d.owners.map((o) => (o.contact ? `${o.name} (${o.contact})` : o.name)).join('; '))}`,
    `- licence: ${given(card, licence)}${!licence && metaLicence ? ` (the file's metadata says: ${metaLicence})` : ''}`,
    `- source: ${d.source.name} ${d.source.url}${d.source.commit ? ` at ${d.source.commit}` : ''}`,
    `- references: ${given(card, d.references.map((r) => r.reference).join(', '))}`,
    `- citation: ${given(card, d.citations.map((x) => x.citation).join(' '))}`,
    '',
    '## Model parameters',
    '',
    `- architecture: ${given(card, p.model_architecture)}`,
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
    ...trainingDataMarkdown(p.training_data),
    '## Considerations',
    '',
    '**Intended uses**',
    '',
    ...listed(card, c.use_cases.map((u) => u.description)).map((u) => `- ${u}`),
    '',
    '**Out of scope**',
    '',
    ...listed(card, c.out_of_scope_uses.map((u) => u.description)).map((u) => `- ${u}`),
    '',
    '**Limitations**',
    '',
    ...listed(card, c.limitations.map((u) => u.description)).map((u) => `- ${u}`),
    '',
    '**Ethical considerations**',
    '',
    ...listed(card, c.ethical_considerations.map((e) => `${e.name} Mitigation: ${e.mitigation_strategy}`)).map((u) => `- ${u}`),
    '',
    '## Quantitative analysis',
    '',
    ...metricsMarkdown(card.quantitative_analysis.performance_metrics, card.model_details.imported !== undefined),
  ];
  return out.join('\n') + '\n';
}

/** A model `edgerun learn` wrote: what it was taught with. */
function trainingDataMarkdown(t: ModelCard['model_parameters']['training_data']): string[] {
  if (!t) return [];
  return [
    '## Training data',
    '',
    `Taught with \`edgerun learn\` at ${t.createdAt} on the extractor ${t.extractor.file} (sha256 \`${t.extractor.sha256}\`).`,
    '',
    '| class | examples | sources |',
    '|---|---|---|',
    ...t.classes.map((c) => `| ${c.label} | ${c.examples} | ${c.sources.map((s) => `\`${s}\``).join('<br>')} |`),
    '',
  ];
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

function metricsMarkdown(ms: PerformanceMetric[], imported: boolean): string[] {
  if (ms.length === 0) {
    return [`${imported ? `Target metrics ${NOT_PROVIDED}` : 'No published figures in the catalog'} and nothing measured here yet (\`edgerun models bench ID\`).`];
  }
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
  const plain = (value: string): string => given(card, value, (t) => `(${t})`);
  const plainList = (items: string[]): string[] => (items.length > 0 || !d.imported ? items : [`(${NOT_PROVIDED})`]);
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
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(d.name)} — model card</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;overflow-wrap:anywhere}table{border-collapse:collapse;width:100%;table-layout:fixed}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top;overflow-wrap:anywhere}code{font-size:90%}</style>
</head><body>
<h1>${esc(d.name)}</h1>
${d.imported ? `<p><em>Imported with edgerun models import from ${esc(d.imported.from)} at ${esc(d.imported.at)}. Not provided by the importer: ${esc(d.imported.not_provided_by_importer.join(', '))}. The file facts were read from the file.</em></p>\n` : ''}<p>${esc(plain(d.overview))}</p>
<h2>Model details</h2>
${list([
  `id: ${d.id}, version ${plain(d.version.name)}`,
  `owners: ${plain(d.owners.map((o) => o.name).join('; '))}`,
  `licence: ${plain(d.licenses.map((l) => l.identifier).join(', '))}`,
  `source: ${d.source.name} ${d.source.url}${d.source.commit ? ` at ${d.source.commit}` : ''}`,
  `references: ${plain(d.references.map((r) => r.reference).join(', '))}`,
  `citation: ${plain(d.citations.map((x) => x.citation).join(' '))}`,
])}
<h2>Model parameters</h2>
${list([`architecture: ${plain(p.model_architecture)}`, `task: ${p.task}`, `input: ${p.input_format}`, `output: ${p.output_format}`, `labels: ${p.labels.count}`])}
<table>${row(['file', 'role', 'bytes', 'sha256', 'in the store'], 'th')}${p.files.map((f) => row([f.name, f.role, String(f.size), f.sha256, f.installed ? 'yes' : 'no'])).join('')}</table>
${files}
<h2>Considerations</h2>
<h3>Intended uses</h3>${list(plainList(c.use_cases.map((u) => u.description)))}
<h3>Out of scope</h3>${list(plainList(c.out_of_scope_uses.map((u) => u.description)))}
<h3>Limitations</h3>${list(plainList(c.limitations.map((u) => u.description)))}
<h3>Ethical considerations</h3>${list(plainList(c.ethical_considerations.map((e) => `${e.name} Mitigation: ${e.mitigation_strategy}`)))}
<h2>Quantitative analysis</h2>
<table>${row(['kind', 'metric', 'value', 'engine', 'platform', 'slice', 'source', 'note'], 'th')}${card.quantitative_analysis.performance_metrics
    .map((m) => row([m.kind, m.type, `${m.value} ${m.unit}`, m.engine ?? '', m.platform ?? '', m.slice ?? '', m.source, m.note ?? '']))
    .join('')}</table>
</body></html>
`;
}

/** A small SVG line chart: one or more series over the same time axis, the last value in the title. */
interface Series {
  name: string;
  values: (number | null)[];
  colour: string;
}

export function Chart({ title, series, unit }: { title: string; series: Series[]; unit: string }) {
  const w = 300;
  const h = 80;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(1e-9, ...all);
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const path = (values: (number | null)[]): string =>
    values
      .map((v, i) => (v === null ? '' : `${i === 0 || values[i - 1] === null ? 'M' : 'L'}${((i / (n - 1)) * w).toFixed(1)},${(h - (v / max) * (h - 4) - 2).toFixed(1)}`))
      .join('');
  return (
    <figure class="chart">
      <figcaption>
        {title}
        {series.map((s) => (
          <span key={s.name} style={{ color: s.colour }}>
            {' '}
            {s.name} {fmt(s.values[s.values.length - 1] ?? null)}
            {unit}
          </span>
        ))}
        <span class="muted"> (max {fmt(max)}{unit})</span>
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label={title}>
        {series.map((s) => (
          <path key={s.name} d={path(s.values)} fill="none" stroke={s.colour} stroke-width="1.5" vector-effect="non-scaling-stroke" />
        ))}
      </svg>
    </figure>
  );
}

function fmt(v: number | null): string {
  if (v === null) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

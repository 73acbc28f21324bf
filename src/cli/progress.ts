/** Download progress on stderr: one updating line on a terminal, a line per quarter otherwise. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): (name: string, received: number, total: number | undefined) => void {
  const lastQuarter = new Map<string, number>();
  return (name, received, total) => {
    const mb = (n: number): string => (n / 1048576).toFixed(1);
    const pct = total ? Math.floor((received / total) * 100) : undefined;
    const text = `${name}: ${mb(received)}${total ? ` / ${mb(total)} MB (${pct}%)` : ' MB'}`;
    if (stream.isTTY) {
      stream.write(`\r${text}\x1b[K${total !== undefined && received >= total ? '\n' : ''}`);
      return;
    }
    const quarter = pct === undefined ? Math.floor(received / 1048576) : Math.floor(pct / 25);
    if (lastQuarter.get(name) === quarter) return;
    lastQuarter.set(name, quarter);
    stream.write(`${text}\n`);
  };
}

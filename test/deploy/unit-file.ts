/** A systemd unit file as section → key → values (a key may repeat; line continuations joined; comments dropped). */
export type UnitFile = Map<string, Map<string, string[]>>;

export function parseUnitFile(text: string): UnitFile {
  const unit: UnitFile = new Map();
  let section: Map<string, string[]> | undefined;
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const kv = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(line);
    if (!kv || !section) throw new Error(`line ${i + 1}: not a key=value in a section: ${line}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  }
  return unit;
}

/** Every value of `key` in `section`, space-separated lists flattened. */
export function unitValues(unit: UnitFile, section: string, key: string): string[] {
  return (unit.get(section)?.get(key) ?? []).flatMap((v) => v.split(/\s+/).filter(Boolean));
}

/** The last assignment wins in systemd for single-valued keys. */
export function unitValue(unit: UnitFile, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

/**
 * A parser for udev rules files, after udev(7) and systemd's udev-rules.c: comma-separated KEY[{attr}]OP"value"
 * pairs, match operators (==, !=) only on match keys, assignments (=, +=, -=, :=) only on keys that take them.
 * Debian bookworm's udevadm (252) has no `verify`, and `udevadm test` writes to /dev and /run, so tests use this.
 */
export interface UdevPair {
  key: string;
  attr?: string;
  op: string;
  value: string;
}

export interface UdevRule {
  line: number;
  pairs: UdevPair[];
}

const MATCH = ['==', '!='];
const ASSIGN = ['=', '+=', '-=', ':='];
const KEYS: Record<string, { ops: string[]; attr: boolean }> = {
  ACTION: { ops: MATCH, attr: false },
  DEVPATH: { ops: MATCH, attr: false },
  KERNEL: { ops: MATCH, attr: false },
  KERNELS: { ops: MATCH, attr: false },
  SUBSYSTEM: { ops: MATCH, attr: false },
  SUBSYSTEMS: { ops: MATCH, attr: false },
  DRIVER: { ops: MATCH, attr: false },
  DRIVERS: { ops: MATCH, attr: false },
  ATTRS: { ops: MATCH, attr: true },
  TAGS: { ops: MATCH, attr: false },
  CONST: { ops: MATCH, attr: true },
  TEST: { ops: MATCH, attr: true },
  PROGRAM: { ops: MATCH, attr: false },
  RESULT: { ops: MATCH, attr: false },
  ATTR: { ops: [...MATCH, ...ASSIGN], attr: true },
  SYSCTL: { ops: [...MATCH, ...ASSIGN], attr: true },
  ENV: { ops: [...MATCH, ...ASSIGN], attr: true },
  TAG: { ops: [...MATCH, ...ASSIGN], attr: false },
  NAME: { ops: [...MATCH, ...ASSIGN], attr: false },
  SYMLINK: { ops: [...MATCH, ...ASSIGN], attr: false },
  IMPORT: { ops: [...MATCH, ...ASSIGN], attr: true },
  OWNER: { ops: ASSIGN, attr: false },
  GROUP: { ops: ASSIGN, attr: false },
  MODE: { ops: ASSIGN, attr: false },
  SECLABEL: { ops: ASSIGN, attr: true },
  RUN: { ops: ASSIGN, attr: true },
  LABEL: { ops: ['='], attr: false },
  GOTO: { ops: ['='], attr: false },
  OPTIONS: { ops: ASSIGN, attr: false },
};

// KEY[{attr}] OP "value", then a comma or the end of the line (udev-rules.c allows blanks around the operator).
const PAIR = /\s*([A-Z]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

export function parseUdevRules(text: string): UdevRule[] {
  const rules: UdevRule[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let line = lines[i]!;
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!;
    line = line.trim();
    if (line === '' || line.startsWith('#')) continue;
    const pairs: UdevPair[] = [];
    PAIR.lastIndex = 0;
    while (PAIR.lastIndex < line.length) {
      const at = PAIR.lastIndex;
      const m = PAIR.exec(line);
      if (!m) throw new Error(`line ${start}: not KEY[{attr}]OP"value" at column ${at + 1}: ${line.slice(at)}`);
      pairs.push(checkPair(m[1]!, m[2], m[3]!, m[4]!, start));
    }
    if (!pairs.some((p) => MATCH.includes(p.op))) throw new Error(`line ${start}: a rule with no match applies to every device`);
    rules.push({ line: start, pairs });
  }
  return rules;
}

function checkPair(key: string, attr: string | undefined, op: string, value: string, line: number): UdevPair {
  const spec = KEYS[key];
  if (!spec) throw new Error(`line ${line}: unknown key ${key}`);
  // IMPORT and RUN take an optional {type}.
  if (spec.attr !== (attr !== undefined) && key !== 'IMPORT' && key !== 'RUN') {
    throw new Error(`line ${line}: ${key} ${spec.attr ? 'needs' : 'takes no'} {attribute}`);
  }
  if (!spec.ops.includes(op)) throw new Error(`line ${line}: ${key} cannot take ${op}`);
  if (key === 'MODE' && !/^0?[0-7]{3}$/.test(value)) throw new Error(`line ${line}: MODE ${value} is not octal`);
  return { key, ...(attr !== undefined ? { attr } : {}), op, value };
}

/** The value a rule matches (==) or assigns (=) for KEY or KEY{attr}. */
export function pairValue(rule: UdevRule, key: string, ops: string[] = ['==', '=']): string | undefined {
  const [name, attr] = key.split(/[{}]/);
  return rule.pairs.find((p) => p.key === name && p.attr === (attr || undefined) && ops.includes(p.op))?.value;
}

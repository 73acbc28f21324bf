/**
 * The highest deployment seq taken from each topic, on disk (`stateDir/fleet/ledger.json`), so a replayed old
 * document is refused after a restart too.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-file.js';

interface Entry {
  seq: number;
  deploymentId: string;
}

export class SeqLedger {
  private readonly entries: Record<string, Entry>;

  constructor(private readonly file: string) {
    let loaded: Record<string, Entry> = {};
    try {
      loaded = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Entry>;
    } catch {
      // first start, or an unreadable file: every document is new (its signature is still checked)
    }
    this.entries = loaded;
  }

  static forStateDir(stateDir: string): SeqLedger {
    return new SeqLedger(path.join(stateDir, 'fleet', 'ledger.json'));
  }

  get(topic: string): Entry | undefined {
    return this.entries[topic];
  }

  record(topic: string, entry: Entry): void {
    this.entries[topic] = entry;
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, JSON.stringify(this.entries, null, 1));
  }
}

// The keyword recogniser on score sequences built to exercise each rule: averaging, threshold, minimum count,
// one event per rise, suppression, background classes, time order.
import { describe, expect, it } from 'vitest';
import { isBackgroundLabel, KeywordRecognizer, type KeywordEvent } from '../../src/tasks/keyword.js';

const labels = ['silence', 'unknown', 'yes', 'no'];
const yes = [0, 0, 1, 0];
const no = [0, 0, 0, 1];
const quiet = [1, 0, 0, 0];

/** Feeds `scores[i]` at time i · hop; returns the events with their step index. */
function run(r: KeywordRecognizer, scores: number[][], hop = 100): KeywordEvent[] {
  return scores.flatMap((s, i) => {
    const e = r.push(s, i * hop).event;
    return e ? [e] : [];
  });
}

describe('KeywordRecognizer', () => {
  it('detects a keyword once its average over the window reaches the threshold, once per rise', () => {
    const r = new KeywordRecognizer({ labels, threshold: 0.8, averageWindowMs: 500, minCount: 3, suppressionMs: 0 });
    // Averages over the last 5 windows: yes reaches 0.8 at the 4th yes (t = 700).
    const events = run(r, [quiet, quiet, quiet, quiet, yes, yes, yes, yes, yes, yes, quiet, quiet, quiet]);
    expect(events).toEqual([{ label: 'yes', score: expect.closeTo(0.8, 6) as unknown as number, time: 700 }]);
  });

  it('needs minCount windows in the average', () => {
    const r = new KeywordRecognizer({ labels, minCount: 3 });
    expect(run(r, [yes, yes, yes]).map((e) => e.time)).toEqual([200]);
  });

  it('averages by time, not by count: windows older than averageWindowMs drop out', () => {
    const r = new KeywordRecognizer({ labels, averageWindowMs: 300, minCount: 1, threshold: 0.9, suppressionMs: 0 });
    const half = [0, 0, 0.5, 0.5];
    // Each average holds the windows of the last 300 ms: the half-sure window keeps yes at 2.5/3 until t=500.
    const steps = [yes, yes, half, yes, yes, yes].map((s, i) => r.push(s, i * 100));
    expect(steps.map((s) => s.count)).toEqual([1, 2, 3, 3, 3, 3]);
    expect(steps.map((s) => s.averaged[2])).toEqual([1, 1, 2.5 / 3, 2.5 / 3, 2.5 / 3, 1].map((v) => expect.closeTo(v, 6)));
    expect(steps.map((s) => s.event?.time)).toEqual([0, undefined, undefined, undefined, undefined, 500]);
  });

  it('suppresses a detection closer than suppressionMs to the previous one, any label', () => {
    const r = new KeywordRecognizer({ labels, averageWindowMs: 100, minCount: 1, suppressionMs: 1000 });
    const events = run(r, [yes, quiet, no, quiet, yes, quiet, quiet, quiet, quiet, quiet, no, yes]);
    expect(events.map((e) => [e.label, e.time])).toEqual([
      ['yes', 0],
      ['no', 1000],
    ]);
  });

  it('a keyword suppressed while it rises stays silent until it falls (no late event from the same utterance)', () => {
    const r = new KeywordRecognizer({ labels, averageWindowMs: 100, minCount: 1, suppressionMs: 300 });
    const events = run(r, [yes, quiet, yes, yes, yes, yes, quiet, yes]);
    expect(events.map((e) => e.time)).toEqual([0, 700]);
  });

  it('never reports background classes, however confident', () => {
    const r = new KeywordRecognizer({ labels, minCount: 1 });
    expect(run(r, [quiet, quiet, [0, 1, 0, 0], [0, 1, 0, 0]])).toEqual([]);
    const step = r.push(quiet, 1000);
    expect(step.candidate?.label).toBe('yes'); // the best non-background class, whatever its score
    expect(['silence', 'Unknown', '_background_noise_', 'noise', ' silence '].every(isBackgroundLabel)).toBe(true);
    expect(['yes', 'no', 'dog bark'].some(isBackgroundLabel)).toBe(false);
  });

  it('uses ids for unlabelled classes', () => {
    const r = new KeywordRecognizer({ minCount: 1 });
    expect(r.push([0.1, 0.9], 0).event).toEqual({ label: '1', score: expect.closeTo(0.9, 6) as unknown as number, time: 0 });
  });

  it('refuses scores out of time order, a changing class count and bad options', () => {
    const r = new KeywordRecognizer({ labels });
    r.push(yes, 500);
    expect(() => r.push(yes, 400)).toThrow(/time order: 400 ms came after 500 ms/);
    expect(() => r.push([1, 0], 600)).toThrow(/4 to 2 classes/);
    r.reset();
    expect(() => r.push(yes, 0)).not.toThrow();
    expect(() => new KeywordRecognizer({ threshold: 2 })).toThrow(/threshold/);
    expect(() => new KeywordRecognizer({ minCount: 0 })).toThrow(/minCount/);
  });
});

import assert from 'node:assert/strict';

/** One sample of a scrape: `name{labels} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus text-format answer; a line that is neither a comment nor a sample fails the test. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key as string] = (raw as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** A scrape, read by metric name and labels. */
export class Scrape {
  constructor(readonly samples: readonly Sample[]) {}

  /**
   * The sum of the samples of `name` whose labels include `labels` (0 when none): for a counter with
   * every label given, its value; with fewer, the total over the others.
   */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.samples
      .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
      .reduce((sum, s) => sum + s.value, 0);
  }

  /** The label sets of `name`. */
  series(name: string): Record<string, string>[] {
    return this.samples.filter((s) => s.name === name).map((s) => s.labels);
  }
}

/** GETs the metrics listener's `/metrics` and parses it. */
export async function scrape(metricsUrl: string | undefined): Promise<Scrape> {
  assert.ok(metricsUrl, 'the server has a metrics listener');
  const response = await fetch(metricsUrl);
  assert.equal(response.status, 200);
  return new Scrape(parseSamples(await response.text()));
}

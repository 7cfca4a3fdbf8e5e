/** What a row's figure must reach; `report` rows are reference figures without a target. */
export type Target =
  | { kind: 'at-most'; value: number }
  | { kind: 'at-least'; value: number }
  /** ours / baseline must be at least `value` (throughput against a baseline's throughput). */
  | { kind: 'ratio-at-least'; value: number }
  | { kind: 'report' };

/** One figure of a scenario, with the baseline measured in the same run. */
export interface Row {
  /** Stable key for machines, e.g. `latency.p50`. */
  id: string;
  /** What is measured, as the table shows it. */
  scenario: string;
  /** Unit of `ours` and `baseline`: ms, µs, req/s, items/s, MiB, runs. */
  unit: string;
  /** FaaSpot's figure; null when the row is itself a baseline. */
  ours: number | null;
  /** The same-run baseline's figure; null when the scenario has none. */
  baseline: number | null;
  /** What the baseline is, in a few words. */
  baselineIs: string;
  target: Target;
  /** Something a reader of the figure should know (a count that differed, a time). */
  note?: string;
}

/** A row with its ratio and verdict; `error` when the scenario failed and has no figures. */
export interface JudgedRow extends Row {
  /** ours / baseline: for times and memory lower is better, for throughput and counts higher. */
  ratio: number | null;
  /** null for a `report` row or a failed scenario. */
  met: boolean | null;
  targetText: string;
  error?: string;
}

function describeTarget(target: Target, unit: string): string {
  switch (target.kind) {
    case 'at-most':
      return `≤ ${target.value} ${unit}`;
    case 'at-least':
      return `≥ ${target.value} ${unit}`;
    case 'ratio-at-least':
      return `ratio ≥ ${target.value}`;
    case 'report':
      return 'report';
  }
}

/** Computes the ratio and whether the target is met. */
export function judgeRow(row: Row): JudgedRow {
  const { ours, baseline, target } = row;
  const ratio = ours !== null && baseline !== null && baseline !== 0 ? ours / baseline : null;
  let met: boolean | null = null;
  if (ours !== null && target.kind === 'at-most') met = ours <= target.value;
  if (ours !== null && target.kind === 'at-least') met = ours >= target.value;
  if (target.kind === 'ratio-at-least') met = ratio !== null && ratio >= target.value;
  return { ...row, ratio, met, targetText: describeTarget(target, row.unit) };
}

import type { BenchContext } from './bench-context.js';
import type { Row } from './row.js';

/** One measurement of the benchmark: some rows of the table. */
export interface Scenario {
  /** Its name for `--only`. */
  name: string;
  /** What it measures, for progress lines, `--help` and the row of a failed run. */
  title: string;
  run(context: BenchContext): Promise<Row[]>;
}

/**
 * `npm run bench`: every scenario of the benchmark, each against a baseline measured in the same
 * run, printed as one table (or, with --json, the same rows as JSON). See benchmarks/README.md.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { BenchContext, type BenchOptions } from './bench-context.js';
import { Cleanup } from './cleanup.js';
import { formatTable } from './format-table.js';
import { HttpClient } from './http-client.js';
import { judgeRow, type JudgedRow } from './row.js';
import { parseCommandLine, positiveInteger, UsageError } from './usage-error.js';
import type { Scenario } from './scenario.js';
import { blockingLatency } from './scenarios/blocking-latency.js';
import { blockingThroughput } from './scenarios/blocking-throughput.js';
import { bulkRpc } from './scenarios/bulk-rpc.js';
import { distinctFunctions } from './scenarios/distinct-functions.js';
import { firstRun } from './scenarios/first-run.js';
import { plainLoadPyodide } from './scenarios/plain-load-pyodide.js';
import { pristineRestore } from './scenarios/pristine-restore.js';
import { sandboxCost } from './scenarios/sandbox-cost.js';
import { startToReady } from './scenarios/start-to-ready.js';
import { warmMemory } from './scenarios/warm-memory.js';

/** In table order, which is also the order they run in. */
const SCENARIOS: readonly Scenario[] = [
  blockingLatency,
  blockingThroughput,
  firstRun,
  pristineRestore,
  startToReady,
  bulkRpc,
  warmMemory,
  distinctFunctions,
  plainLoadPyodide,
  sandboxCost,
];

/** Counts of a full run (about five minutes on two cores) and of `--quick` (a minute or two). */
const COUNTS = {
  full: { requests: 2000, seconds: 5, samples: 20, bulk: 10_000, interpreters: 12, functions: 100, probes: 3 },
  quick: { requests: 300, seconds: 2, samples: 5, bulk: 1000, interpreters: 4, functions: 10, probes: 1 },
} as const;

type Count = keyof typeof COUNTS.full;

const USAGE = `Usage: npm run bench -- [options]   (or node dist/benchmarks/run.js [options])

  --quick             small counts: a check that every scenario runs (a minute or two)
  --only a,b          run only these scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}
  --json              print the rows as JSON instead of the table
  --workers N         worker threads of every server (default: FAASPOT_WORKERS, else the CPU count)
  --requests N        measured requests per latency series (${COUNTS.full.requests}; quick ${COUNTS.quick.requests}); sandbox: 10 x N calls
  --seconds S         seconds per throughput series (${COUNTS.full.seconds}; quick ${COUNTS.quick.seconds})
  --samples N         first-run samples, and python3 -c samples (${COUNTS.full.samples}; quick ${COUNTS.quick.samples})
  --bulk N            items in the bulk_rpc (${COUNTS.full.bulk}; quick ${COUNTS.quick.bulk}; at most FAASPOT_MAX_BULK)
  --interpreters K    new warm interpreters in the memory scenario (${COUNTS.full.interpreters}; quick ${COUNTS.quick.interpreters})
  --functions N       distinct functions in the warm-set scenario (${COUNTS.full.functions}; quick ${COUNTS.quick.functions})
  --probes N          fresh node processes timing a plain loadPyodide() (${COUNTS.full.probes}; quick ${COUNTS.quick.probes})
  --help              this text
`;

function parseOptions(args: string[]): { options: BenchOptions; scenarios: Scenario[]; json: boolean; help: boolean } {
  const countOption = { type: 'string' } as const;
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      workers: countOption,
      requests: countOption,
      seconds: countOption,
      samples: countOption,
      bulk: countOption,
      interpreters: countOption,
      functions: countOption,
      probes: countOption,
    },
  });
  const defaults = values.quick ? COUNTS.quick : COUNTS.full;
  const count = (name: Count): number => {
    const raw = values[name];
    return raw === undefined ? defaults[name] : positiveInteger(name, raw);
  };
  let scenarios = [...SCENARIOS];
  if (values.only !== undefined) {
    const names = values.only.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = names.filter((name) => !SCENARIOS.some((s) => s.name === name));
    if (unknown.length > 0 || names.length === 0) {
      throw new UsageError(`--only takes scenario names among ${SCENARIOS.map((s) => s.name).join(', ')}; got ${JSON.stringify(values.only)}`);
    }
    scenarios = SCENARIOS.filter((s) => names.includes(s.name));
  }
  const workers = values.workers === undefined ? loadConfig(process.env).workers : positiveInteger('workers', values.workers);
  const options: BenchOptions = {
    quick: values.quick,
    workers,
    requests: count('requests'),
    seconds: count('seconds'),
    samples: count('samples'),
    bulk: count('bulk'),
    interpreters: count('interpreters'),
    functions: count('functions'),
    probes: count('probes'),
  };
  return { options, scenarios, json: values.json, help: values.help };
}

/** Runs the scenarios in order; a failed one becomes an error row and the others still run. */
async function runScenarios(context: BenchContext, scenarios: readonly Scenario[]): Promise<JudgedRow[]> {
  const rows: JudgedRow[] = [];
  for (const scenario of scenarios) {
    context.log(`${scenario.name}: ${scenario.title}`);
    const started = performance.now();
    try {
      rows.push(...(await scenario.run(context)).map(judgeRow));
      context.log(`${scenario.name}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      context.log(`${scenario.name}: FAILED: ${error instanceof Error ? (error.stack ?? message) : message}`);
      rows.push({
        ...judgeRow({ id: scenario.name, scenario: scenario.title, unit: '', ours: null, baseline: null, baselineIs: '', target: { kind: 'report' } }),
        error: message,
      });
    }
  }
  return rows;
}

function toJson(options: BenchOptions, rows: readonly JudgedRow[]): string {
  return JSON.stringify(
    {
      node: process.version,
      cpus: availableParallelism(),
      options,
      rows: rows.map((row) => ({
        id: row.id,
        scenario: row.scenario,
        unit: row.unit,
        ours: row.ours,
        baseline: row.baseline,
        ratio: row.ratio,
        target: row.targetText,
        target_kind: row.target.kind,
        target_value: row.target.kind === 'report' ? null : row.target.value,
        met: row.met,
        baseline_is: row.baselineIs,
        note: row.note ?? null,
        error: row.error ?? null,
      })),
    },
    null,
    2,
  );
}

async function main(): Promise<number> {
  const parsed = parseCommandLine('bench', parseOptions);
  if (!parsed) return 2;
  const { options, scenarios, json, help } = parsed;
  if (help) {
    console.log(USAGE);
    return 0;
  }

  const cleanup = new Cleanup();
  const client = new HttpClient();
  const context = new BenchContext(options, client, cleanup);
  // An interrupted run still stops its servers and removes its directories, and prints no table
  // of the scenarios the interruption failed.
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      context.log(`${signal}: cleaning up`);
      void cleanup.run().finally(() => process.exit(130));
    });
  }
  let rows: JudgedRow[];
  try {
    context.log(`${options.quick ? 'quick run' : 'full run'}, ${options.workers} workers: ${scenarios.map((s) => s.name).join(', ')}`);
    rows = await runScenarios(context, scenarios);
  } finally {
    await cleanup.run();
    client.close();
  }
  if (interrupted) return 130;
  if (json) {
    console.log(toJson(options, rows));
  } else {
    console.log(`FaaSpot benchmark: ${options.workers} workers, ${availableParallelism()} CPUs, Node ${process.version}${options.quick ? ', --quick counts' : ''}`);
    console.log('ratio = ours / baseline; the target applies to ours, or to the ratio where it says so\n');
    console.log(formatTable(rows));
  }
  return rows.some((row) => row.error !== undefined) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

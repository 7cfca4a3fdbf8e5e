import type { FunctionInfo, RunArgs } from '../../client/types.js';
import { flag, isPlainObject, jsonValue, listValue, positiveNumber, readTextFile, stringValue, type CliContext } from '../context.js';
import { formatOutput, Progress, table } from '../output.js';
import { mergeParameters, parseParameters, PARAMETERS_FORM, setArgument } from '../parameters.js';
import { UsageError, type GroupSpec, type OptionSpec, type ParsedArgs } from '../usage.js';

const FILE: OptionSpec = { type: 'string', short: 'f', value: 'FILE', help: 'path to the Python file of the code (- for standard input)' };
const CONTEXT_FILE: OptionSpec = {
  type: 'string',
  value: 'FILE',
  help: 'path to the context file: KEY = VALUE lines (such as secrets), or a JSON object',
};
const TIMEOUT: OptionSpec = { type: 'string', value: 'SECONDS', help: "the function's timeout (server default 60)" };
const MEMORY: OptionSpec = { type: 'string', value: 'MIB', help: "the function's memory cap (server default 256)" };
const PARAMETERS: OptionSpec = {
  type: 'string',
  short: 'p',
  multiple: true,
  value: '"k1=v1, k2=v2"',
  help: 'arguments, KEY=VALUE separated by commas; values are strings',
};

const IDEMPOTENCY_KEY: OptionSpec = {
  type: 'string',
  value: 'KEY',
  help: "makes the command safe to repeat: run again with the same KEY (within the server's FAASPOT_IDEMPOTENCY_TTL, 24 hours by default), it prints the same ids and runs nothing twice",
};

/** `--idempotency-key`, as the client's option. */
function startOptions(args: ParsedArgs): { idempotencyKey?: string } {
  const key = stringValue(args, 'idempotency-key');
  return key === undefined ? {} : { idempotencyKey: key };
}

function functionSummary(fn: FunctionInfo): string {
  return `${fn.name} (version ${fn.version}, timeout ${fn.timeout} s, memory ${fn.memory} MiB${
    fn.context_keys.length > 0 ? `, context keys: ${fn.context_keys.join(', ')}` : ''
  })`;
}

/** Arguments of one run: `--args-json`, then every `-p` on top. */
function runArgs(args: ParsedArgs): RunArgs {
  const base = jsonValue(args, 'args-json');
  if (base !== undefined && !isPlainObject(base)) throw new UsageError(`--args-json must be a JSON object, such as '{"k": 1}'`);
  const merged: RunArgs = {};
  for (const [key, value] of Object.entries(base ?? {})) setArgument(merged, key, value);
  for (const [key, value] of Object.entries(mergeParameters(listValue(args, 'parameters')))) setArgument(merged, key, value);
  return merged;
}

/** Arguments of a bulk: the items of `--args-json`, then one per `-p`. */
function bulkArgs(args: ParsedArgs): RunArgs[] {
  const base = jsonValue(args, 'args-json');
  if (base !== undefined && !(Array.isArray(base) && base.every(isPlainObject))) {
    throw new UsageError(`--args-json of run_bulk must be a JSON array of objects, such as '[{"k": 1}, {"k": 2}]'`);
  }
  const list: RunArgs[] = [...(base ?? []), ...listValue(args, 'parameters').map(parseParameters)];
  if (list.length === 0) throw new UsageError(`run_bulk needs one ${PARAMETERS_FORM} per execution (or --args-json with a list)`);
  return list;
}

export const functionsGroup: GroupSpec<CliContext> = {
  name: 'functions',
  summary: 'Create, update, list, get, delete and run functions.',
  details: `A function is a Python file defining main(args, context), plus an optional context file of
KEY = VALUE lines (secrets, say) given to every run as \`context\`:

  def main(args, context):
      return "hello " + args["name"]`,
  commands: [
    {
      name: 'create',
      summary: 'Create a function from a Python file.',
      positionals: [{ name: 'NAME', required: true }],
      options: {
        file: FILE,
        'context-file': CONTEXT_FILE,
        timeout: TIMEOUT,
        memory: MEMORY,
        wait: { type: 'boolean', help: 'accepted for compatibility: creating a function always completes before fas returns' },
      },
      details: 'The code is checked without running it: a syntax error, or no main(args, context), is refused with the line.',
      examples: ['fas functions create hello --file hello.py', 'fas functions create FUNCTION_NAME --file FILE_PATH --context-file context.txt --timeout 30'],
      async run(args, ctx) {
        const [name = ''] = args.positionals;
        const file = stringValue(args, 'file');
        if (file === undefined) throw new UsageError('fas functions create needs --file FILE, the Python code');
        const contextFile = stringValue(args, 'context-file');
        const options = {
          code: readTextFile(file, '--file'),
          ...(contextFile !== undefined && { context: readTextFile(contextFile, '--context-file') }),
          timeout: positiveNumber(args, 'timeout'),
          memory: positiveNumber(args, 'memory', true),
        };
        const fn = await ctx.client().functions.create(name, options);
        ctx.io.out(ctx.json ? `${JSON.stringify(fn)}\n` : `Created function ${functionSummary(fn)}\n`);
        return 0;
      },
    },
    {
      name: 'update',
      summary: "Update a function's code, context, name, timeout or memory; its version grows by one.",
      positionals: [{ name: 'NAME', required: true }],
      options: {
        file: FILE,
        'context-file': CONTEXT_FILE,
        'new-name': { type: 'string', value: 'NEW_NAME', help: 'rename the function' },
        timeout: TIMEOUT,
        memory: MEMORY,
        wait: { type: 'boolean', help: 'accepted for compatibility: updating a function always completes before fas returns' },
      },
      examples: ['fas functions update hello --file hello.py', 'fas functions update hello --context-file context.txt --new-name greet'],
      async run(args, ctx) {
        const [name = ''] = args.positionals;
        const file = stringValue(args, 'file');
        const contextFile = stringValue(args, 'context-file');
        const newName = stringValue(args, 'new-name');
        const options = {
          ...(file !== undefined && { code: readTextFile(file, '--file') }),
          ...(contextFile !== undefined && { context: readTextFile(contextFile, '--context-file') }),
          ...(newName !== undefined && { newName }),
          timeout: positiveNumber(args, 'timeout'),
          memory: positiveNumber(args, 'memory', true),
        };
        if (Object.values(options).every((v) => v === undefined)) {
          throw new UsageError('Nothing to update: give --file, --context-file, --new-name, --timeout or --memory');
        }
        const fn = await ctx.client().functions.update(name, options);
        ctx.io.out(ctx.json ? `${JSON.stringify(fn)}\n` : `Updated function ${functionSummary(fn)}\n`);
        return 0;
      },
    },
    {
      name: 'list',
      summary: 'List the functions of your namespace.',
      positionals: [],
      options: {},
      examples: ['fas functions list', 'fas functions list --json'],
      async run(_args, ctx) {
        const functions = await ctx.client().functions.list();
        if (ctx.json) {
          ctx.io.out(`${JSON.stringify(functions)}\n`);
        } else if (functions.length === 0) {
          ctx.io.err('No functions yet; create one with: fas functions create NAME --file FILE\n');
        } else {
          const rows = functions.map((fn) => [fn.name, String(fn.version), `${fn.timeout} s`, `${fn.memory} MiB`, fn.context_keys.join(',') || '-', fn.updated]);
          ctx.io.out(table(['NAME', 'VERSION', 'TIMEOUT', 'MEMORY', 'CONTEXT KEYS', 'UPDATED'], rows));
        }
        return 0;
      },
    },
    {
      name: 'get',
      summary: 'Show a function and its code (the keys of its context, never the values).',
      positionals: [{ name: 'NAME', required: true }],
      options: {},
      examples: ['fas functions get hello', 'fas functions get hello --json | jq -r .code'],
      async run(args, ctx) {
        const fn = await ctx.client().functions.get(args.positionals[0] ?? '');
        if (ctx.json) {
          ctx.io.out(`${JSON.stringify(fn)}\n`);
          return 0;
        }
        const fields: [string, string][] = [
          ['name', fn.name],
          ['version', String(fn.version)],
          ['timeout', `${fn.timeout} s`],
          ['memory', `${fn.memory} MiB`],
          ['context keys', fn.context_keys.join(', ') || '-'],
          ['created', fn.created],
          ['updated', fn.updated],
        ];
        const code = fn.code ?? '';
        ctx.io.out(`${fields.map(([k, v]) => `${`${k}:`.padEnd(14)}${v}`).join('\n')}\n\n${code}${code.endsWith('\n') || code === '' ? '' : '\n'}`);
        return 0;
      },
    },
    {
      name: 'delete',
      summary: 'Delete a function; its pending executions are cancelled.',
      positionals: [{ name: 'NAME', required: true }],
      options: {},
      examples: ['fas functions delete FUNCTION_NAME'],
      async run(args, ctx) {
        const result = await ctx.client().functions.delete(args.positionals[0] ?? '');
        const cancelled = result.cancelled_executions;
        ctx.io.out(
          ctx.json
            ? `${JSON.stringify(result)}\n`
            : `Deleted function ${result.name}${cancelled > 0 ? ` (${cancelled} pending execution${cancelled === 1 ? '' : 's'} cancelled)` : ''}\n`,
        );
        return 0;
      },
    },
    {
      name: 'run',
      summary: 'Run a function: print the execution id, or with --wait its output.',
      positionals: [{ name: 'NAME', required: true }],
      options: {
        parameters: PARAMETERS,
        'args-json': { type: 'string', value: 'JSON', help: 'arguments as a JSON object, for typed values (-p values are added on top)' },
        wait: { type: 'boolean', help: "wait for the run to end and print main's return value instead of the execution id" },
        'idempotency-key': IDEMPOTENCY_KEY,
      },
      details: `Without --wait the run is queued and its execution id alone is printed, for scripts; follow it
with 'fas executions get ID'. With --wait the output is printed: a string as it is, anything
else as JSON. A run that fails prints the error and traceback on stderr and exits 1.
Several -p merge; a value may hold "=" but not ",".
With --idempotency-key (not with --wait), repeating the command after a failure prints the id of
the first run instead of running again; the key with other arguments is IDEMPOTENCY_KEY_REUSED.`,
      examples: [
        'fas functions run hello --parameters "name=user1" --wait',
        'fas functions run FUNCTION_NAME -p "param_1=value_1, param_2=value_2" --wait',
        'UUID=$(fas functions run hello --parameters "name=user1")',
        'fas executions get $UUID',
        `fas functions run FUNCTION_NAME --args-json '{"count": 3, "tags": ["a", "b"]}' --wait`,
        'fas functions run hello -p "name=user1" --idempotency-key "$(uuidgen)"',
      ],
      async run(args, ctx) {
        const name = args.positionals[0] ?? '';
        const runArguments = runArgs(args);
        const options = startOptions(args);
        if (flag(args, 'wait') && options.idempotencyKey !== undefined) {
          throw new UsageError("--idempotency-key applies to runs without --wait (a repeated blocking run runs again): drop --wait and follow the id with 'fas executions get ID --wait'");
        }
        const client = ctx.client();
        if (!flag(args, 'wait')) {
          ctx.io.out(`${await client.functions.run(name, runArguments, options)}\n`);
          return 0;
        }
        const progress = new Progress(ctx.io, `running ${name}`);
        let output: unknown;
        try {
          output = await client.functions.run(name, runArguments, { wait: true });
        } finally {
          progress.stop();
        }
        ctx.io.out(`${formatOutput(output, { json: ctx.json, pretty: true })}\n`);
        return 0;
      },
    },
    {
      name: 'run_bulk',
      aliases: ['run-bulk'],
      summary: 'Run a function once per -p, without waiting: print the execution ids, one per line.',
      positionals: [{ name: 'NAME', required: true }],
      options: {
        parameters: { ...PARAMETERS, help: 'the arguments of one execution, KEY=VALUE separated by commas' },
        'args-json': { type: 'string', value: 'JSON', help: 'a JSON array of argument objects, one execution each (before the -p ones)' },
        wait: { type: 'boolean', help: 'then wait for all of them and print their outputs, one per line, in order' },
        'idempotency-key': IDEMPOTENCY_KEY,
      },
      details: `Each -p is one execution; all are accepted or none. The ids are printed in order, one per line.
With --wait, fas waits for every execution and prints one output per line, in the order of the
-p (a string as it is, anything else as JSON on one line; "null" for a run that failed, whose
error goes to stderr, and the exit status is then 1).
With --idempotency-key, repeating the command after a failure prints the ids of the first bulk
(and with --wait its outputs) instead of running it again.`,
      examples: [
        'fas functions run_bulk FUNCTION_NAME -p "k1=v1, k2=v2" -p "k3=v3, k4=v4"',
        'fas functions run_bulk FUNCTION_NAME -p "n=1" -p "n=2" -p "n=3" --wait',
        'fas functions run_bulk FUNCTION_NAME -p "n=1" -p "n=2" --idempotency-key nightly-2026-01-31',
      ],
      async run(args, ctx) {
        const name = args.positionals[0] ?? '';
        const list = bulkArgs(args);
        const client = ctx.client();
        const ids = await client.functions.runBulk(name, list, startOptions(args));
        if (!flag(args, 'wait')) {
          ctx.io.out(ids.map((id) => `${id}\n`).join(''));
          return 0;
        }
        const progress = new Progress(ctx.io, `running ${name}`, ids.length);
        const outputs: (string | undefined)[] = ids.map(() => undefined);
        let printed = 0;
        let done = 0;
        let failed = 0;
        try {
          await client.executions.waitAll(ids, {
            onEnd(record, index) {
              done++;
              if (record.status === 'completed') {
                outputs[index] = formatOutput(record.output, { json: ctx.json });
              } else {
                failed++;
                outputs[index] = 'null';
                const why = record.error ? `${record.error.type}: ${record.error.message}` : record.status;
                progress.note(`fas: execution ${index + 1} (${record.uuid}) ${record.status}: ${why}\n`);
              }
              progress.update(done, failed);
              let text = '';
              for (let next = outputs[printed]; next !== undefined; next = outputs[printed]) {
                text += `${next}\n`;
                printed++;
              }
              if (text !== '') progress.print(text);
            },
          });
        } finally {
          progress.stop();
        }
        return failed > 0 ? 1 : 0;
      },
    },
  ],
};

import type { ExecutionRecord, ExecutionStatus } from '../../client/types.js';
import { flag, listValue, positiveNumber, stringValue, type CliContext } from '../context.js';
import { executionTable, Progress } from '../output.js';
import { UsageError, type GroupSpec } from '../usage.js';

const STATUSES: readonly ExecutionStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelled'];

export const executionsGroup: GroupSpec<CliContext> = {
  name: 'executions',
  summary: 'Read, list and cancel executions: the records of function runs.',
  details: `A run made without --wait is an execution that goes on in the background; its id is what
'fas functions run' prints. Its record holds the status (pending, running, completed, failed or
cancelled), the arguments, main's output, the error with its traceback, the logs and timings.`,
  commands: [
    {
      name: 'get',
      summary: 'Print an execution record (JSON).',
      positionals: [{ name: 'ID', required: true }],
      options: { wait: { type: 'boolean', help: 'wait until the execution ends first' } },
      examples: ['UUID=$(fas functions run hello --parameters "name=user1")', 'fas executions get $UUID', 'fas executions get $UUID --wait'],
      async run(args, ctx) {
        const id = args.positionals[0] ?? '';
        const client = ctx.client();
        let record: ExecutionRecord;
        if (flag(args, 'wait')) {
          const progress = new Progress(ctx.io, `waiting for ${id}`);
          try {
            record = await client.executions.wait(id);
          } finally {
            progress.stop();
          }
        } else {
          record = await client.executions.get(id);
        }
        ctx.io.out(`${JSON.stringify(record, null, ctx.json ? undefined : 2)}\n`);
        return 0;
      },
    },
    {
      name: 'list',
      summary: 'List executions, newest first: the pending and running ones, or all with --include-completed.',
      positionals: [],
      options: {
        'include-completed': { type: 'boolean', alias: 'include_completed', help: 'include ended executions too' },
        function: { type: 'string', value: 'NAME', help: 'only the executions of this function' },
        status: { type: 'string', value: 'STATUS', help: `only these statuses, comma-separated (${STATUSES.join(', ')})` },
        limit: { type: 'string', value: 'N', help: 'at most N records (server default 100, at most 1000)' },
        cursor: { type: 'string', value: 'CURSOR', help: 'the next page, as printed after a full page' },
      },
      examples: ['fas executions list', 'fas executions list --include-completed --function hello', 'fas executions list --status failed --limit 10 --json'],
      async run(args, ctx) {
        const status = stringValue(args, 'status');
        const statuses = status
          ?.split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        for (const s of statuses ?? []) {
          if (!STATUSES.includes(s as ExecutionStatus)) throw new UsageError(`--status takes ${STATUSES.join(', ')}; got ${JSON.stringify(s)}`);
        }
        const limit = positiveNumber(args, 'limit', true);
        const fn = stringValue(args, 'function');
        const cursor = stringValue(args, 'cursor');
        const page = await ctx.client().executions.list({
          includeCompleted: flag(args, 'include-completed'),
          ...(fn !== undefined && { function: fn }),
          ...(statuses !== undefined && statuses.length > 0 && { status: statuses as ExecutionStatus[] }),
          ...(limit !== undefined && { limit }),
          ...(cursor !== undefined && { cursor }),
        });
        if (ctx.json) ctx.io.out(`${JSON.stringify(page.executions)}\n`);
        else if (page.executions.length > 0) ctx.io.out(executionTable(page.executions));
        else ctx.io.err(flag(args, 'include-completed') || statuses ? 'No executions.\n' : 'No pending or running executions (add --include-completed for ended ones).\n');
        if (page.nextCursor) ctx.io.err(`More: add --cursor ${page.nextCursor}\n`);
        return 0;
      },
    },
    {
      name: 'get_bulk',
      aliases: ['get-bulk'],
      summary: 'Show several executions at once, in the order given.',
      positionals: [{ name: 'ID', required: false, variadic: true }],
      options: { uuid: { type: 'string', short: 'u', multiple: true, value: 'ID', help: 'an execution id' } },
      details: 'Ids may also be given as arguments. An unknown id shows as "not found" (null with --json).',
      examples: ['fas executions get_bulk -u EXECUTION_ID_1 -u EXECUTION_ID_2', 'fas executions get_bulk $(fas functions run_bulk hello -p "name=a" -p "name=b") --json'],
      async run(args, ctx) {
        const ids = [...listValue(args, 'uuid'), ...args.positionals];
        if (ids.length === 0) throw new UsageError('fas executions get_bulk needs execution ids: -u ID -u ID');
        const records = await ctx.client().executions.getBulk(ids);
        ctx.io.out(ctx.json ? `${JSON.stringify(records)}\n` : executionTable(records, ids));
        return 0;
      },
    },
    {
      name: 'cancel',
      summary: 'Cancel an execution: a pending one at once, a running one is stopped.',
      positionals: [{ name: 'ID', required: true }],
      options: {},
      details: 'An execution that already ended cannot be cancelled: EXECUTION_ENDED, exit status 1.',
      examples: ['fas executions cancel EXECUTION_ID'],
      async run(args, ctx) {
        const record = await ctx.client().executions.cancel(args.positionals[0] ?? '');
        ctx.io.out(ctx.json ? `${JSON.stringify(record)}\n` : `Cancelled execution ${record.uuid} of ${record.name} (status: ${record.status})\n`);
        return 0;
      },
    },
  ],
};

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { StoredExecution } from '../../../src/store/store.js';
import { logExecutionEnds, SERVER_FAULTS } from '../../../src/telemetry/execution-log.js';
import { createLogger } from '../../../src/telemetry/logger.js';

function failedWith(type: string): StoredExecution {
  return {
    seq: 0,
    id: `run-${type}`,
    namespace: 'default',
    functionId: 'f',
    functionName: 'hello',
    functionVersion: 1,
    status: 'failed',
    blocking: false,
    args: '{}',
    output: null,
    error: { type, message: 'no', traceback: null },
    logs: '',
    logsTruncated: false,
    created: '2026-01-01T10:00:00.000Z',
    started: null,
    finished: '2026-01-01T10:00:00.002Z',
    durationMs: null,
    callback: null,
  };
}

describe('logExecutionEnds', () => {
  test('ends that are faults of the server are warn lines, a function\'s own failures info lines', () => {
    const lines: string[] = [];
    const log = logExecutionEnds(createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void lines.push(line) } }));
    for (const type of ['WorkerCrashed', 'InterpreterCrashed', 'InternalError', 'ValueError', 'Timeout', 'hello.WorkerCrashed']) {
      log(failedWith(type), { coldStart: false });
    }
    const levels = lines.map((line) => JSON.parse(line) as { level: string; error_type: string }).map((line) => [line.error_type, line.level]);
    assert.deepEqual(levels, [
      ['WorkerCrashed', 'warn'],
      ['InterpreterCrashed', 'warn'],
      ['InternalError', 'warn'],
      ['ValueError', 'info'],
      ['Timeout', 'info'],
      ['hello.WorkerCrashed', 'info'],
    ]);
  });

  test("the README's log table names every type logged as a warning", () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `execution ended` |')) ?? '';
    const level = row.split('|')[2] ?? '';
    for (const type of SERVER_FAULTS) assert.ok(level.includes(`\`${type}\``), `${type} in: ${level}`);
  });
});

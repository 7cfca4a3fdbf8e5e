import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logCallbackFailures } from '../../../src/telemetry/callback-log.js';
import { createLogger } from '../../../src/telemetry/logger.js';

function capture(level: 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', destination: { write: (line: string) => void lines.push(line) } });
  return { log: logCallbackFailures(logger), parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logCallbackFailures', () => {
  test('a failed attempt is one warn line with the execution id, attempt, reason and next attempt', () => {
    const { log, parsed } = capture();
    log({ executionId: 'e-1', attempt: 2, reason: 'HTTP 503', state: 'pending', nextAttempt: '2025-01-01T00:00:02.000Z' });
    const [line, ...more] = parsed();
    assert.equal(more.length, 0);
    assert.deepEqual(
      { level: line?.level, msg: line?.msg, execution_id: line?.execution_id, attempt: line?.attempt, reason: line?.reason, gave_up: line?.gave_up, next_attempt: line?.next_attempt },
      { level: 'warn', msg: 'callback delivery failed', execution_id: 'e-1', attempt: 2, reason: 'HTTP 503', gave_up: false, next_attempt: '2025-01-01T00:00:02.000Z' },
    );
  });

  test('a callback given up says so and has no next attempt', () => {
    const { log, parsed } = capture();
    log({ executionId: 'e-2', attempt: 11, reason: 'ECONNREFUSED', state: 'failed', nextAttempt: null });
    const [line] = parsed();
    assert.equal(line?.gave_up, true);
    assert.ok(!('next_attempt' in (line ?? {})));
  });

  test('the line is warn: kept at FAASPOT_LOG_LEVEL=warn, left out at error', () => {
    const failure = { executionId: 'e-3', attempt: 1, reason: 'HTTP 500', state: 'pending', nextAttempt: null } as const;
    const warn = capture('warn');
    warn.log(failure);
    assert.equal(warn.parsed().length, 1);
    const error = capture('error');
    error.log(failure);
    assert.equal(error.parsed().length, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../src/telemetry/logger.js';

/** A logger writing into an array, one entry per write. */
function capture(format: 'json' | 'pretty' | 'auto', level: 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, format, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}

describe('createLogger', () => {
  test('json writes one JSON object per line, at once, with the level as a word, the time, the message and the fields', () => {
    const { logger, lines } = capture('json');
    logger.info({ request_id: 'r-1', status: 200 }, 'request');
    assert.equal(lines.length, 1, 'written before info() returns');
    assert.ok(lines[0]?.endsWith('\n'));
    const line = JSON.parse(lines[0] ?? '');
    assert.equal(line.level, 'info');
    assert.equal(line.msg, 'request');
    assert.equal(line.request_id, 'r-1');
    assert.equal(line.status, 200);
    assert.equal(typeof line.time, 'number');
  });

  test('an error is logged with its type, message and stack under err', () => {
    const { logger, lines } = capture('json');
    logger.error({ err: new TypeError('broken') }, 'request failed');
    const line = JSON.parse(lines[0] ?? '');
    assert.equal(line.level, 'error');
    assert.equal(line.err.type, 'TypeError');
    assert.equal(line.err.message, 'broken');
    assert.match(line.err.stack, /TypeError: broken/);
  });

  test('lines below the level are not written', () => {
    const { logger, lines } = capture('json', 'warn');
    logger.info('not written');
    logger.warn('written');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ['written']);
  });

  test('pretty writes text for a person, without colours when the destination is not a terminal', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ request_id: 'r-2' }, 'listening on http://127.0.0.1:8080');
    assert.equal(lines.length, 1);
    const text = lines[0] ?? '';
    assert.throws(() => JSON.parse(text));
    assert.match(text, /INFO.*listening on http:\/\/127\.0\.0\.1:8080/);
    assert.match(text, /request_id: "r-2"/);
    assert.ok(!text.includes('\u001b['), 'no colour escapes');
  });

  test('auto writes JSON to any destination but a terminal', () => {
    const { logger, lines } = capture('auto');
    logger.info('hello');
    assert.equal(JSON.parse(lines[0] ?? '').msg, 'hello');
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { announceAdminToken } from '../../src/serve.js';
import { createLogger } from '../../src/telemetry/logger.js';

const TOKEN = 'fs_generated-admin-token-0123456789';
const FILE = '/var/lib/faaspot/admin-token';

function session(isTTY: boolean) {
  const logLines: string[] = [];
  const printed: string[] = [];
  const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void logLines.push(line) } });
  announceAdminToken({ generated: TOKEN, file: FILE }, logger, { isTTY, write: (text: string) => printed.push(text) });
  return { logLines, printed };
}

describe('announceAdminToken', () => {
  test('on a terminal the generated token is shown once, with the file that keeps it, and not logged', () => {
    const { logLines, printed } = session(true);
    assert.equal(printed.join(''), `faaspot: admin token (shown once, also saved to ${FILE}):\n${TOKEN}\n`);
    assert.deepEqual(logLines, []);
  });

  test('when stdout is not a terminal, one JSON log line names the file and the token is written nowhere', () => {
    const { logLines, printed } = session(false);
    assert.deepEqual(printed, []);
    assert.equal(logLines.length, 1);
    assert.ok(!logLines[0]?.includes(TOKEN));
    const line = JSON.parse(logLines[0] ?? '') as Record<string, unknown>;
    assert.equal(line.msg, 'admin token generated');
    assert.equal(line.level, 'info');
    assert.equal(line.file, FILE);
  });

  test('a start that generated no token says nothing about one', () => {
    const logLines: string[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void logLines.push(line) } });
    const printed: string[] = [];
    announceAdminToken({ generated: undefined, file: undefined }, logger, { isTTY: true, write: (text: string) => printed.push(text) });
    assert.deepEqual([logLines, printed], [[], []]);
  });
});

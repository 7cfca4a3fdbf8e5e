import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';

/** The seed's curl session, its omitted URLs taken from the README's API table. */
describe('the HTTP requests of the product documentation, as curl commands', () => {
  let s: TestServer;
  let work: string;

  /** Runs a bash script; asynchronous because the server under test answers from this process. */
  function sh(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: work,
        env: { ...process.env, URL: s.url, MY_TOKEN: ADMIN_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  before(async () => {
    s = await startTestServer({ workers: 1 });
    work = mkdtempSync(join(tmpdir(), 'faaspot-curl-'));
    writeFileSync(join(work, 'hello.py'), 'def main(args, context):\n    return "hello " + args.get("name", "world") + context["suffix"]\n');
    writeFileSync(join(work, 'hello.ctx'), 'suffix = "!"\n');
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    rmSync(work, { recursive: true, force: true });
  });

  test('create with URL-quoted code and context, run blocking and not, read the execution, bulk, delete', async () => {
    const result = await sh(`
quote() { python3 -c 'import sys; from urllib.parse import quote; print(quote(open(sys.argv[1]).read().encode("utf-8")))' "$1"; }
THE_CODE=$(quote hello.py)
THE_CONTEXT=$(quote hello.ctx)
curl -sf -X PUT --header "Authorization: Token $MY_TOKEN" --header "Content-Type: application/json" \\
  --data '{"name": "hello", "code": "'"$THE_CODE"'", "context": "'"$THE_CONTEXT"'"}' "$URL/v1/functions/" > /dev/null
echo "blocking=$(curl -sf -X GET --header "Authorization: Token $MY_TOKEN" "$URL/v1/sync/functions/hello/rpc/?name=user1")"
EXECUTION_ID_STR=$(curl -sf --header "Authorization: Token $MY_TOKEN" "$URL/v1/functions/hello/rpc/?name=user2")
EXECUTION_ID=$(sed -e 's/^"//' -e 's/"$//' <<< "$EXECUTION_ID_STR")
echo "record=$(curl -sf --header "Authorization: Token $MY_TOKEN" "$URL/v1/executions/$EXECUTION_ID?wait=30")"
POSTED=$(curl -sf -X POST --header "Content-Type: application/json" --header "Authorization: Token $MY_TOKEN" \\
  -d '{"PARAMETER_1": "VALUE_1", "PARAMETER_2": "VALUE_2"}' "$URL/v1/functions/hello/rpc/")
echo "posted=$POSTED"
echo "bulk=$(curl -sf -X POST --header "Content-Type: application/json" --header "Authorization: Token $MY_TOKEN" \\
  -d '[{"k1": "v1", "k2": "v2"}, {"k3": "v3", "k4": "v4"}]' "$URL/v1/functions/hello/bulk_rpc/")"
curl -sf -X DELETE --header "Authorization: Token $MY_TOKEN" "$URL/v1/functions/hello" > /dev/null
echo "after=$(curl -s -o /dev/null -w '%{http_code}' --header "Authorization: Token $MY_TOKEN" "$URL/v1/functions/hello")"
`);
    assert.equal(result.code, 0, result.stderr);
    const lines = Object.fromEntries(result.stdout.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    assert.equal(lines.blocking, '"hello user1!"');
    const record = JSON.parse(lines.record ?? '{}');
    assert.equal(record.status, 'completed');
    assert.equal(record.output, 'hello user2!');
    assert.match(JSON.parse(lines.posted ?? '""'), /^[0-9a-f-]{36}$/);
    const ids = JSON.parse(lines.bulk ?? '[]');
    assert.equal(ids.length, 2);
    assert.equal(lines.after, '404');
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { ADMIN_TOKEN, removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('fas CLI', () => {
  let s: TestServer;
  let root: string;
  let work: string;
  let baseEnv: NodeJS.ProcessEnv;

  /**
   * Runs a shell command line in the work directory with `fas` on PATH. Asynchronous on purpose: the
   * server under test runs in this process, so a synchronous spawn would block it from answering.
   */
  function sh(command: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', ['-c', command], { cwd: work, env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** Runs and expects exit status 0, showing stderr when it is not. */
  async function ok(command: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
    const result = await sh(command, env);
    assert.equal(result.code, 0, `${command}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    return result.stdout;
  }

  before(async () => {
    s = await startTestServer();
    root = mkdtempSync(join(tmpdir(), 'faaspot-cli-'));
    const bin = join(root, 'bin');
    work = join(root, 'work');
    mkdirSync(bin);
    mkdirSync(work);
    writeFileSync(join(bin, 'fas'), `#!/bin/sh\nexec "${process.execPath}" "${MAIN}" "$@"\n`);
    chmodSync(join(bin, 'fas'), 0o755);
    writeFileSync(join(work, 'hello.py'), 'def main(args, context):\n    return "hello " + args["name"]\n');
    writeFileSync(join(work, 'echo.py'), 'def main(args, context):\n    return {"args": args, "context": context}\n');
    writeFileSync(join(work, 'divide.py'), 'def main(args, context):\n    print("dividing")\n    return 1 / 0\n');
    writeFileSync(join(work, 'context.txt'), 'access_key_is = "XYZ"\nsecret_access_key = "123"\n');
    baseEnv = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: root,
      LANG: 'C.UTF-8',
      FAASPOT_DIR: join(root, 'no-profiles'),
      FAASPOT_URL: s.url,
      FAASPOT_TOKEN: ADMIN_TOKEN,
    };
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
    rmSync(root, { recursive: true, force: true });
  });

  test('the seed: create hello, run it with --wait, run it without and read the execution', async () => {
    assert.match(await ok('fas functions create hello --file hello.py'), /Created function hello \(version 1/);
    const waited = await sh('fas functions run hello --parameters "name=user1" --wait');
    assert.deepEqual(waited, { code: 0, stdout: 'hello user1\n', stderr: '' }, 'only the output on stdout, and no progress when stderr is not a terminal');

    const id = await ok('fas functions run hello --parameters "name=user1"');
    assert.match(id.trimEnd(), UUID_LINE, 'the execution id alone');
    assert.equal(id, `${id.trim()}\n`);

    const record = JSON.parse(await ok('UUID=$(fas functions run hello --parameters "name=user1"); fas executions get $UUID'));
    assert.equal(record.name, 'hello');
    assert.deepEqual(record.args, { name: 'user1' });
    const ended = JSON.parse(await ok('UUID=`fas functions run hello --parameters "name=user1"`; fas executions get $UUID --wait'));
    assert.equal(ended.status, 'completed');
    assert.equal(ended.output, 'hello user1');
  });

  test('-p "param_1=value_1, param_2=value_2" with a context file; -p merge and --args-json', async () => {
    await ok('fas functions create FUNCTION_NAME --file echo.py --context-file context.txt --wait');
    const output = JSON.parse(await ok('fas functions run FUNCTION_NAME -p "param_1=value_1, param_2=value_2" --wait'));
    assert.deepEqual(output, { args: { param_1: 'value_1', param_2: 'value_2' }, context: { access_key_is: 'XYZ', secret_access_key: '123' } });
    const merged = JSON.parse(await ok(`fas functions run FUNCTION_NAME -p "a=1, b=x=y" --parameters "a=2" --args-json '{"n": 3, "a": 0}' --wait`));
    assert.deepEqual(merged.args, { n: 3, a: '2', b: 'x=y' });
  });

  test('run_bulk prints one id per line; get_bulk reads them; --wait prints the outputs in order', async () => {
    const ids = (await ok('fas functions run_bulk FUNCTION_NAME -p "k1=v1, k2=v2" -p "k3=v3, k4=v4"')).trimEnd().split('\n');
    assert.equal(ids.length, 2);
    for (const id of ids) assert.match(id, UUID_LINE);
    const records = JSON.parse(await ok(`fas executions get_bulk -u ${ids[0]} -u ${ids[1]} --json`));
    assert.deepEqual(
      records.map((r: { uuid: string; args: unknown }) => [r.uuid, r.args]),
      [
        [ids[0], { k1: 'v1', k2: 'v2' }],
        [ids[1], { k3: 'v3', k4: 'v4' }],
      ],
    );
    const waited = await sh('fas functions run_bulk hello -p "name=a" -p "name=b" -p "name=c" --wait');
    assert.deepEqual(waited, { code: 0, stdout: 'hello a\nhello b\nhello c\n', stderr: '' });
    const table = await ok(`fas executions get_bulk -u ${ids[0]} -u 00000000-0000-0000-0000-000000000000`);
    assert.match(table, /^ID +FUNCTION +VERSION +STATUS/);
    assert.match(table, /00000000-0000-0000-0000-000000000000 +- +- +not found/);
  });

  test('--idempotency-key makes run and run_bulk safe to repeat: the same ids are printed and nothing runs twice', async () => {
    writeFileSync(join(work, 'numbers.py'), 'def main(args, context):\n    return int(args["n"])\n');
    await ok('fas functions create numbers --file numbers.py');
    const bulk = 'fas functions run_bulk numbers -p "n=1" -p "n=2" --idempotency-key cli-bulk-1';
    const ids = await ok(bulk);
    assert.equal(ids.trimEnd().split('\n').length, 2);
    assert.equal(await ok(bulk), ids);
    assert.deepEqual(await sh(`${bulk} --wait`), { code: 0, stdout: '1\n2\n', stderr: '' });
    const single = 'fas functions run numbers -p "n=3" --idempotency-key cli-run-1';
    const id = await ok(single);
    assert.match(id.trim(), UUID_LINE);
    assert.equal(await ok(single), id);
    const listed = await s.call('GET', '/v1/executions?include_completed=true&function=numbers');
    assert.equal((listed.json as unknown[]).length, 3, 'one execution per -p, however often the commands ran');

    const reused = await sh('fas functions run_bulk numbers -p "n=9" --idempotency-key cli-bulk-1');
    assert.equal(reused.code, 1);
    assert.match(reused.stderr, /^fas: IDEMPOTENCY_KEY_REUSED: The Idempotency-Key "cli-bulk-1" was first sent/);
    const blocking = await sh('fas functions run numbers -p "n=1" --idempotency-key cli-run-2 --wait');
    assert.equal(blocking.code, 2);
    assert.match(blocking.stderr, /--idempotency-key applies to runs without --wait/);
    const bad = await sh('fas functions run numbers -p "n=1" --idempotency-key "café"');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^fas: INVALID_IDEMPOTENCY_KEY: An idempotency key must be 1 to 255 printable ASCII characters/);
    assert.equal(((await s.call('GET', '/v1/executions?include_completed=true&function=numbers')).json as unknown[]).length, 3);
  });

  test('run_bulk --wait with a failing item prints null in its place, the error on stderr, and exits 1', async () => {
    const result = await sh('fas functions run_bulk hello -p "name=a" -p "nom=b" --wait --json');
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '"hello a"\nnull\n');
    assert.match(result.stderr, /execution 2 .* failed: KeyError/);
  });

  test('a failing run exits 1 with the code, the traceback and the execution id on stderr', async () => {
    await ok('fas functions create divide --file divide.py');
    const result = await sh('fas functions run divide --wait');
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^fas: FUNCTION_FAILED: divide failed: ZeroDivisionError: division by zero\n/);
    assert.match(result.stderr, /Traceback \(most recent call last\)/);
    assert.match(result.stderr, /execution: [0-9a-f-]{36}/);
  });

  test('server errors exit 1 with "fas: CODE: message" on stderr', async () => {
    const missing = await sh('fas functions run nope --parameters "name=user1" --wait');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^fas: FUNCTION_NOT_FOUND: No function named "nope"/);
    assert.equal((await sh('fas functions get nope')).code, 1);
    writeFileSync(join(work, 'broken.py'), 'def main(args, context)\n    return 1\n');
    const broken = await sh('fas functions create broken --file broken.py');
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^fas: INVALID_CODE: .*line 1/);
    const exists = await sh('fas functions create hello --file hello.py');
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /^fas: FUNCTION_EXISTS:/);
    const badToken = await sh('fas functions list', { FAASPOT_TOKEN: 'not-the-token-at-all' });
    assert.equal(badToken.code, 1);
    assert.match(badToken.stderr, /^fas: UNAUTHENTICATED:/);
    const offline = await sh('fas functions list', { FAASPOT_URL: 'http://127.0.0.1:9' });
    assert.equal(offline.code, 1);
    assert.match(offline.stderr, /^fas: CONNECTION_ERROR:/);
    const id = (await ok('fas functions run hello -p name=x')).trim();
    await ok(`fas executions get ${id} --wait`);
    const ended = await sh(`fas executions cancel ${id}`);
    assert.equal(ended.code, 1);
    assert.match(ended.stderr, /^fas: EXECUTION_ENDED:/);
  });

  test('usage errors exit 2 and show the usage', async () => {
    const malformed = await sh('fas functions run hello -p "name"');
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /-p "k1=v1, k2=v2"/);
    assert.match(malformed.stderr, /Usage: fas functions run NAME/);
    const emptyKey = await sh('fas functions run_bulk hello -p "=v"');
    assert.equal(emptyKey.code, 2);
    for (const command of [
      'fas functions create hello2',
      'fas functions create hello2 --file missing.py',
      'fas functions run',
      'fas functions run hello extra',
      'fas functions run hello --bogus',
      'fas functions update hello',
      'fas functions run hello --args-json "[1]"',
      'fas functions create hello2 --file hello.py --timeout soon',
      'fas executions get_bulk',
      'fas executions list --status done',
      'fas functions frobnicate',
      'fas frobnicate',
      'fas functions',
      'fas',
    ]) {
      const result = await sh(command);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
    }
    assert.equal((await sh('fas functions list')).code, 0);
  });

  test('lists are aligned tables; --json anywhere prints raw JSON', async () => {
    const table = (await ok('fas functions list')).split('\n');
    assert.match(table[0] ?? '', /^NAME +VERSION +TIMEOUT +MEMORY +CONTEXT KEYS +UPDATED$/);
    const columns = (table[0] ?? '').indexOf('VERSION');
    const helloRow = table.find((line) => line.startsWith('hello '));
    assert.ok(helloRow);
    assert.equal(helloRow.indexOf('1 '), columns, 'the version sits under its header');
    for (const command of ['fas functions list --json', 'fas --json functions list', 'fas functions --json list']) {
      const list = JSON.parse(await ok(command));
      assert.ok(Array.isArray(list), command);
      assert.ok(list.some((fn: { name: string }) => fn.name === 'hello'), command);
    }
    const executions = await ok('fas executions list --include-completed --function hello --limit 2');
    assert.match(executions, /^ID +FUNCTION +VERSION +STATUS +CREATED +DURATION +OUTPUT \/ ERROR\n/);
    const raw = JSON.parse(await ok('fas executions list --include_completed --function hello --json'));
    assert.ok(raw.length > 0);
    assert.ok(raw.every((e: { name: string }) => e.name === 'hello'));
    assert.equal(await ok('fas functions run hello -p "name=json" --wait --json'), '"hello json"\n');
  });

  test('get, update and delete', async () => {
    await ok('fas functions create temp --file hello.py');
    const shown = await ok('fas functions get temp');
    assert.match(shown, /^name: +temp$/m);
    assert.match(shown, /def main\(args, context\):/);
    writeFileSync(join(work, 'hello2.py'), 'def main(args, context):\n    return "hi " + args["name"]\n');
    assert.match(await ok('fas functions update temp --file hello2.py --timeout 5'), /Updated function temp \(version 2, timeout 5 s/);
    assert.equal(await ok('fas functions run temp -p "name=u" --wait'), 'hi u\n');
    await ok('fas functions update temp --new-name greet');
    assert.equal(await ok('fas functions run greet -p "name=u" --wait'), 'hi u\n');
    assert.match(await ok('fas functions delete greet'), /^Deleted function greet/);
    const gone = await sh('fas functions delete greet');
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /FUNCTION_NOT_FOUND/);
  });

  test('profiles: create, list, current, use, get, update, delete, and commands through the current profile', async () => {
    const dir = join(root, 'profiles');
    const env = { FAASPOT_DIR: dir, FAASPOT_URL: '', FAASPOT_TOKEN: '' };
    const port = new URL(s.url).port;
    const noProfile = await sh('fas functions list', env);
    assert.equal(noProfile.code, 1);
    assert.match(noProfile.stderr, /CONFIG_ERROR: No FaaSpot token/);

    assert.match(await ok(`fas profiles create local --host 127.0.0.1 --port ${port} --protocol http --token ${ADMIN_TOKEN}`, env), /now the current profile/);
    await ok('fas profiles create other --host example.invalid --port 443 --protocol https -t other-token-123', env);
    assert.equal(await ok('fas profiles current', env), 'local\n');
    const list = await ok('fas profiles list', env);
    assert.match(list, /^CURRENT +NAME +URL +TOKEN\n/);
    assert.match(list, new RegExp(`^\\* +local +http://127\\.0\\.0\\.1:${port} +test…$`, 'm'));
    assert.match(list, /^ +other +https:\/\/example\.invalid:443 +othe…$/m);
    assert.ok(!list.includes(ADMIN_TOKEN), 'tokens are not shown in full');

    const path = join(dir, 'fasconf.yaml');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(parse(readFileSync(path, 'utf8')), {
      faaspot: {
        profile: 'local',
        profiles: {
          local: { host: '127.0.0.1', port: Number(port), protocol: 'http', token: ADMIN_TOKEN },
          other: { host: 'example.invalid', port: 443, protocol: 'https', token: 'other-token-123' },
        },
      },
    });

    assert.match(await ok('fas functions list', env), /^NAME/);
    assert.match(await ok('fas functions run hello -p "name=profile" --wait', env), /profile/);

    await ok('fas profiles use other', env);
    assert.equal(await ok('fas profiles current', env), 'other\n');
    const got = JSON.parse(await ok('fas profiles get --json --show-token', env));
    assert.deepEqual(got, {
      name: 'other',
      current: true,
      host: 'example.invalid',
      port: 443,
      protocol: 'https',
      token: 'other-token-123',
      url: 'https://example.invalid:443',
    });
    // FAASPOT_URL and FAASPOT_TOKEN override the profile.
    assert.match(await ok('fas functions list', { ...env, FAASPOT_URL: s.url, FAASPOT_TOKEN: ADMIN_TOKEN }), /hello/);

    await ok(`fas profiles update other --host 127.0.0.1 --port ${port} --protocol http --token ${ADMIN_TOKEN}`, env);
    assert.match(await ok('fas functions list', env), /hello/);
    assert.equal((await sh('fas profiles use nope', env)).code, 1);
    assert.equal((await sh('fas profiles create local', env)).code, 1, 'an existing name');
    assert.equal((await sh('fas profiles update other --port 0', env)).code, 2);
    await ok('fas profiles delete other', env);
    assert.equal((await sh('fas profiles current', env)).code, 1, 'no current profile after deleting it');
    await ok('fas profiles use local', env);
    assert.equal(await ok('fas profiles current', env), 'local\n');

    // FAASPOT_CONFIG names another file in the directory.
    await ok('fas profiles create elsewhere --token t-123456789', { ...env, FAASPOT_CONFIG: 'alt.yaml' });
    assert.equal(parse(readFileSync(join(dir, 'alt.yaml'), 'utf8')).faaspot.profile, 'elsewhere');
  });

  test('help: fas --help, each command --help, and fas server --help (without starting a server)', async () => {
    const help = await ok('fas --help');
    for (const line of ['fas functions create hello --file hello.py', 'fas functions run hello --parameters "name=user1" --wait', 'fas server']) {
      assert.ok(help.includes(line), line);
    }
    const run = await ok('fas functions run --help');
    for (const part of ['-p, --parameters', '--wait', '--args-json', 'fas functions run FUNCTION_NAME -p "param_1=value_1, param_2=value_2" --wait']) {
      assert.ok(run.includes(part), part);
    }
    assert.match(await ok('fas functions create -h'), /--context-file FILE/);
    assert.match(await ok('fas executions get_bulk --help'), /-u, --uuid ID/);
    assert.match(await ok('fas profiles --help'), /current/);
    const server = await ok('fas server --help');
    assert.match(server, /^Usage: fas server\n {7}fas server rekey \[--new-key KEY \| --new-key-file FILE\]\n\nStarts the FaaSpot server, exactly as `npm start` does\./);
    assert.match(await ok('fas server rekey --help'), /^Usage: fas server rekey .*\n[\s\S]*--new-key-file FILE/);
    assert.ok(help.includes('fas server rekey'));
    assert.match(await ok('fas --version'), /^fas \d+\.\d+\.\d+\n$/);
  });
});

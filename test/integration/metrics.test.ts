import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cancel, ended, NAP, namespaceToken, record, startNap, until } from '../reliability/executions.js';
import { removeDataDir, startTestServer, type TestServer } from './harness.js';
import { scrape, type Scrape } from './prometheus-text.js';

const OK = 'def main(args, context):\n    return args\n';
const BOOM = 'def main(args, context):\n    raise ValueError("no")\n';
/** Raises an exception class of its own, named after its argument, or loops until its timeout. */
const RAISER = [
  'def main(args, context):',
  '    if args.get("loop"):',
  '        while True:',
  '            pass',
  '    raise type("Error" + args["n"], (Exception,), {})("raised")',
  '',
].join('\n');

describe('GET /metrics', () => {
  let s: TestServer;
  const metrics = (): Promise<Scrape> => scrape(s.server.metricsUrl);
  /** Scrapes until `accept` takes the scrape: for what the workers do on their own time, such as booting. */
  const metricsUntil = (accept: (m: Scrape) => boolean, what: string): Promise<Scrape> => until(metrics, accept, what);

  before(async () => {
    s = await startTestServer({ workers: 1, metricsPort: 0, killGraceMs: 100 });
    await s.create('ok', OK);
    await s.create('boom', BOOM);
    await s.create('nap', NAP, { timeout: 900 });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('is served on a listener of its own, without a token, in the Prometheus text format; the API does not serve it', async () => {
    assert.match(s.server.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(s.server.metricsUrl ?? '');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    for (const name of ['faaspot_executions_total', 'faaspot_http_requests_total', 'faaspot_cold_starts_total', 'faaspot_worker_restarts_total']) {
      assert.match(text, new RegExp(`^# TYPE ${name} counter$`, 'm'));
    }
    for (const name of ['faaspot_execution_duration_seconds', 'faaspot_execution_queue_wait_seconds']) {
      assert.match(text, new RegExp(`^# TYPE ${name} histogram$`, 'm'));
    }
    for (const name of ['faaspot_queue_depth', 'faaspot_executions_running', 'faaspot_workers', 'faaspot_interpreters_pristine', 'faaspot_interpreters_warm', 'faaspot_draining']) {
      assert.match(text, new RegExp(`^# TYPE ${name} gauge$`, 'm'));
    }
    assert.match(text, /^process_resident_memory_bytes \d+/m, "and the process's own metrics");
    const m = await metrics();
    assert.equal(m.value('faaspot_workers'), 1);
    assert.equal(m.value('faaspot_draining'), 0);

    const onApi = await s.call('GET', '/metrics', undefined, null);
    assert.equal(onApi.status, 404);
    assert.equal(onApi.json.code, 'NOT_FOUND');
    const other = await fetch(new URL('/v1/functions', s.server.metricsUrl));
    assert.equal(other.status, 404, 'the metrics listener serves nothing else');
    const post = await fetch(s.server.metricsUrl ?? '', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'HEAD, GET');
  });

  test('executions are counted by namespace, function, status and error type, with run time and queue wait, as they end', async () => {
    const before = await metrics();
    const completed = { namespace: 'default', function: 'ok', status: 'completed', error_type: '' };
    assert.equal(before.value('faaspot_executions_total', completed), 0);

    assert.equal((await s.call('GET', '/v1/sync/functions/ok/rpc?n=1')).status, 200);
    assert.equal((await s.call('POST', '/v1/sync/functions/ok/rpc', { n: 2 })).status, 200);
    assert.equal((await s.call('GET', '/v1/sync/functions/boom/rpc')).status, 502);
    const queued = (await s.call('POST', '/v1/functions/ok/rpc', { n: 3 })).json as string;
    assert.equal((await s.call('GET', `/v1/executions/${queued}?wait=30`)).json.status, 'completed');
    const team = await namespaceToken(s, 'team-a');
    await s.create('ok', OK, {}, team);
    assert.equal((await s.call('GET', '/v1/sync/functions/ok/rpc', undefined, team)).status, 200);

    const m = await metrics();
    assert.equal(m.value('faaspot_executions_total', completed), 3);
    assert.equal(m.value('faaspot_executions_total', { namespace: 'default', function: 'boom', status: 'failed', error_type: 'ValueError' }), 1);
    assert.equal(m.value('faaspot_executions_total', { namespace: 'team-a', function: 'ok', status: 'completed' }), 1);
    assert.equal(m.value('faaspot_execution_duration_seconds_count', { namespace: 'default', function: 'ok' }), 3);
    assert.ok(m.value('faaspot_execution_duration_seconds_sum', { namespace: 'default', function: 'ok' }) > 0);
    assert.equal(m.value('faaspot_execution_duration_seconds_bucket', { namespace: 'default', function: 'ok', le: '+Inf' }), 3);
    const waited = (blocking: string) => m.value('faaspot_execution_queue_wait_seconds_count', { namespace: 'default', blocking }) - before.value('faaspot_execution_queue_wait_seconds_count', { namespace: 'default', blocking });
    assert.equal(waited('true'), 3);
    assert.equal(waited('false'), 1);
    assert.equal(m.value('faaspot_execution_queue_wait_seconds_count', { namespace: 'team-a' }), 1);
    // ok, boom and team-a's ok each loaded into an interpreter once; the later runs of ok found it warm.
    assert.equal(m.value('faaspot_cold_starts_total') - before.value('faaspot_cold_starts_total'), 3);
    assert.equal(m.value('faaspot_interpreters_warm'), 3);
    const health = (await s.call('GET', '/healthz', undefined, null)).json;
    assert.equal(m.value('faaspot_cold_starts_total'), health.cold_starts, 'the same count as /healthz');
  });

  test('queue depth, running executions, pristine interpreters and worker restarts are read from the engine at each scrape', async () => {
    const before = await metricsUntil((m) => m.value('faaspot_interpreters_pristine') === 1, 'a pristine interpreter');
    assert.equal(before.value('faaspot_queue_depth'), 0);
    assert.equal(before.value('faaspot_executions_running'), 0);

    // time.sleep ignores the interrupt: cancelling the nap ends its worker thread, which is replaced.
    const running = await startNap(s, 600);
    const waiting = (await s.call('POST', '/v1/functions/ok/rpc', { n: 4 })).json as string;
    const busy = await metrics();
    assert.equal(busy.value('faaspot_executions_running'), 1);
    assert.equal(busy.value('faaspot_queue_depth'), 1);

    await cancel(s, waiting);
    await cancel(s, running);
    const idle = await metricsUntil((m) => m.value('faaspot_interpreters_pristine') === 1, 'the replaced worker to boot');
    assert.equal(idle.value('faaspot_queue_depth'), 0);
    assert.equal(idle.value('faaspot_executions_running'), 0);
    assert.equal(idle.value('faaspot_worker_restarts_total') - before.value('faaspot_worker_restarts_total'), 1);
    assert.equal(idle.value('faaspot_executions_total', { function: 'ok', status: 'cancelled', error_type: 'Cancelled' }), 1);
    assert.equal(idle.value('faaspot_executions_total', { function: 'nap', status: 'cancelled', error_type: 'Cancelled' }), 1);
    assert.equal((await record(s, waiting)).started, null);
    // Stopped hard, it reported no time of its own: it counts from its start to the stop.
    assert.equal(idle.value('faaspot_execution_duration_seconds_count', { function: 'nap' }), 1);
    assert.ok(idle.value('faaspot_execution_duration_seconds_sum', { function: 'nap' }) > 0);
    assert.equal(typeof (await s.call('GET', `/v1/executions/${running}`)).json.duration_ms, 'number');
  });

  test('HTTP requests are counted by method, route template and status; paths no route takes share one series', async () => {
    const route = { method: 'GET', route: '/v1/functions/:name', status: '404' };
    const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
    const before = await metrics();
    assert.equal((await s.call('GET', '/v1/functions/nobody-a')).json.code, 'FUNCTION_NOT_FOUND');
    assert.equal((await s.call('GET', '/v1/functions/nobody-b')).json.code, 'FUNCTION_NOT_FOUND');
    for (let i = 0; i < 20; i++) assert.equal((await s.call('GET', `/v1/random-path-${i}/x`)).status, 404);
    assert.equal((await s.call('GET', '/v1/functions/ok', undefined, 'not-a-valid-token-at-all')).status, 401);
    const m = await metrics();
    assert.equal(m.value('faaspot_http_requests_total', route) - before.value('faaspot_http_requests_total', route), 2);
    assert.equal(m.value('faaspot_http_requests_total', unmatched) - before.value('faaspot_http_requests_total', unmatched), 20);
    assert.equal(m.value('faaspot_http_requests_total', { route: '/v1/functions/:name', status: '401' }), 1);
    const routes = new Set(m.series('faaspot_http_requests_total').map((labels) => labels.route));
    assert.ok(![...routes].some((r) => r?.includes('random-path') || r?.includes('nobody')), `route labels are templates: ${[...routes].join(', ')}`);
  });

  test('the routes of callbacks and idempotency keys are counted under their templates, replays and refusals included', async () => {
    const admin = { method: 'GET', route: '/v1/admin/callback-secret' };
    const ownKey = { method: 'GET', route: '/v1/callback-secret' };
    const rpc = { method: 'POST', route: '/v1/functions/:name/rpc' };
    const bulk = { method: 'POST', route: '/v1/functions/:name/bulk_rpc' };
    const before = await metrics();
    const delta = (m: Scrape, labels: Record<string, string>) => m.value('faaspot_http_requests_total', labels) - before.value('faaspot_http_requests_total', labels);

    assert.equal((await s.call('GET', '/v1/admin/callback-secret')).status, 200);
    assert.equal((await s.call('GET', '/v1/admin/callback-secret/')).status, 200);
    const team = await namespaceToken(s, 'team-metrics');
    assert.equal((await s.call('GET', '/v1/admin/callback-secret', undefined, team)).status, 403);
    assert.equal((await s.call('GET', '/v1/admin/callback-secret?namespace=team-metrics')).status, 200);
    assert.equal((await s.call('GET', '/v1/callback-secret', undefined, team)).status, 200);
    assert.equal((await s.call('GET', '/v1/callback-secret/')).status, 200);
    const key = { 'idempotency-key': 'metrics-key-1' };
    const first = await s.call('POST', '/v1/functions/ok/rpc', { n: 5 }, undefined, key);
    const replay = await s.call('POST', '/v1/functions/ok/rpc', { n: 5 }, undefined, key);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.json, first.json);
    assert.equal((await s.call('POST', '/v1/functions/ok/rpc', { n: 6 }, undefined, key)).json.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal((await s.call('POST', '/v1/functions/ok/bulk_rpc', [{}], undefined, { 'idempotency-key': '' })).json.code, 'INVALID_IDEMPOTENCY_KEY');
    assert.equal((await s.call('POST', '/v1/functions/ok/rpc', {}, undefined, { 'x-callback-url': 'http://10.0.0.1/hook' })).json.code, 'CALLBACK_URL_FORBIDDEN');
    assert.equal((await s.call('POST', '/v1/functions/ok/rpc', {}, undefined, { 'x-callback-url': 'not a url' })).json.code, 'CALLBACK_URL_INVALID');
    assert.equal((await s.call('GET', `/v1/executions/${first.json as string}?wait=30`)).json.status, 'completed');

    const m = await metrics();
    assert.equal(delta(m, { ...admin, status: '200' }), 3, 'with or without the trailing slash or a namespace');
    assert.equal(delta(m, { ...ownKey, status: '200' }), 2);
    assert.equal(delta(m, { ...admin, status: '403' }), 1);
    assert.equal(delta(m, { ...rpc, status: '200' }), 2, 'the first request and its replay');
    assert.equal(delta(m, { ...rpc, status: '422' }), 1);
    assert.equal(delta(m, { ...rpc, status: '400' }), 1);
    assert.equal(delta(m, { ...rpc, status: '403' }), 1);
    assert.equal(delta(m, { ...bulk, status: '400' }), 1);
    const executed = (labels: Record<string, string>) => m.value('faaspot_executions_total', labels) - before.value('faaspot_executions_total', labels);
    assert.equal(executed({ namespace: 'default', function: 'ok', status: 'completed' }), 1, 'a replay runs nothing, and is not counted as an execution');
  });

  test("a function's own exception classes are named until it has ten, then counted as other; the engine's error types keep their names", async () => {
    await s.create('raiser', RAISER, { timeout: 0.5 });
    for (let n = 0; n < 12; n++) {
      const reply = await s.call('GET', `/v1/sync/functions/raiser/rpc?n=${n}`);
      assert.equal(reply.json.execution.error.type, `Error${n}`);
    }
    assert.equal((await s.call('GET', '/v1/sync/functions/raiser/rpc?loop=1')).json.code, 'FUNCTION_TIMEOUT');
    const m = await metrics();
    const types = m.series('faaspot_executions_total').filter((labels) => labels.function === 'raiser').map((labels) => labels.error_type);
    assert.deepEqual(types.sort(), [...Array.from({ length: 10 }, (_, n) => `Error${n}`), 'Timeout', 'other'].sort());
    assert.equal(m.value('faaspot_executions_total', { function: 'raiser', error_type: 'other' }), 2);
    assert.equal(m.value('faaspot_executions_total', { function: 'raiser', error_type: 'Timeout' }), 1);
  });

  test("a function's exception named like an engine error type is reported qualified: a 502 FUNCTION_FAILED, counted and logged under that name", async () => {
    const impostor = [
      'class Timeout(Exception):',
      '    pass',
      'class WorkerCrashed(Exception):',
      '    pass',
      'def main(args, context):',
      '    if args["as"] == "timeout":',
      '        raise Timeout("pretending")',
      '    if args["as"] == "crash":',
      '        raise WorkerCrashed("pretending")',
      '    raise type("", (Exception,), {})("no name")',
      '',
    ].join('\n');
    await s.create('impostor', impostor);
    const timeout = await s.call('GET', '/v1/sync/functions/impostor/rpc?as=timeout');
    assert.equal(timeout.status, 502);
    assert.equal(timeout.json.code, 'FUNCTION_FAILED');
    assert.equal(timeout.json.execution.error.type, 'impostor.Timeout');
    const crash = await s.call('GET', '/v1/sync/functions/impostor/rpc?as=crash');
    assert.equal(crash.json.execution.error.type, 'impostor.WorkerCrashed');
    const unnamed = await s.call('GET', '/v1/sync/functions/impostor/rpc?as=none');
    assert.equal(unnamed.json.execution.error.type, '<unnamed>');

    const m = await metrics();
    const types = m.series('faaspot_executions_total').filter((labels) => labels.function === 'impostor').map((labels) => labels.error_type);
    assert.deepEqual(types.sort(), ['<unnamed>', 'impostor.Timeout', 'impostor.WorkerCrashed']);
    const lines = s.logs().filter((line) => line.msg === 'execution ended' && line.function === 'impostor');
    assert.deepEqual(
      lines.map((line) => [line.level, line.error_type]),
      [['info', 'impostor.Timeout'], ['info', 'impostor.WorkerCrashed'], ['info', '<unnamed>']],
      'an exception of the function is no fault of the server',
    );
  });
  test("a deleted or renamed function's series are gone from /metrics", async () => {
    await s.create('short-lived', BOOM);
    await s.create('renamed', OK);
    assert.equal((await s.call('GET', '/v1/sync/functions/short-lived/rpc')).status, 502);
    assert.equal((await s.call('GET', '/v1/sync/functions/renamed/rpc')).status, 200);
    const named = (m: Scrape, fn: string) => m.samples.filter((sample) => sample.labels.function === fn).map((sample) => sample.name);
    const before = await metrics();
    assert.ok(named(before, 'short-lived').includes('faaspot_executions_total'));
    assert.ok(named(before, 'short-lived').includes('faaspot_execution_duration_seconds_count'));
    assert.ok(named(before, 'renamed').includes('faaspot_executions_total'));

    assert.equal((await s.call('DELETE', '/v1/functions/short-lived')).status, 200);
    assert.equal((await s.call('PATCH', '/v1/functions/renamed', { name: 'renamed-again' })).status, 200);
    const after = await metrics();
    assert.deepEqual(named(after, 'short-lived'), []);
    assert.deepEqual(named(after, 'renamed'), []);
    assert.equal(after.value('faaspot_executions_total', { function: 'ok', status: 'completed' }) > 0, true, "other functions' series stay");
    assert.equal((await s.call('GET', '/v1/sync/functions/renamed-again/rpc')).status, 200);
    assert.equal((await metrics()).value('faaspot_executions_total', { function: 'renamed-again' }), 1, 'counted under its new name from then on');
  });
});

describe('metrics and logs across a restart', () => {
  test('a run queued before a stop and run after the next start is counted under its function, with its wait from its creation', async () => {
    const overrides = { workers: 1, metricsPort: 0 };
    const first = await startTestServer(overrides);
    const dataDir = first.dataDir;
    try {
      await first.create('ok', OK);
      await first.create('nap', NAP, { timeout: 900 });
      const napping = await startNap(first, 600);
      const queued = (await first.call('POST', '/v1/functions/ok/rpc', { n: 7 })).json as string;
      assert.equal((await record(first, queued)).status, 'pending');
      await first.server.shutdown(0);

      const second = await startTestServer(overrides, dataDir);
      try {
        await ended(second, [queued]);
        const resumed = (await second.call('GET', `/v1/executions/${queued}`)).json as { status: string; created: string; started: string };
        assert.equal(resumed.status, 'completed');
        const m = await scrape(second.server.metricsUrl);
        assert.equal(m.value('faaspot_executions_total', { namespace: 'default', function: 'ok', status: 'completed', error_type: '' }), 1);
        assert.equal(m.value('faaspot_executions_total', { function: '' }), 0, 'no series without a function name');
        assert.equal(m.value('faaspot_execution_duration_seconds_count', { namespace: 'default', function: 'ok' }), 1);
        // The nap, failed by this start as ServerRestarted, had started: its wait is counted too.
        const nap = (await second.call('GET', `/v1/executions/${napping}`)).json as { status: string; created: string; started: string };
        assert.equal(nap.status, 'failed');
        assert.equal(m.value('faaspot_execution_queue_wait_seconds_count', { namespace: 'default', blocking: 'false' }), 2);
        const waited = (r: { created: string; started: string }) => (Date.parse(r.started) - Date.parse(r.created)) / 1000;
        const expected = waited(resumed) + waited(nap);
        assert.ok(Math.abs(m.value('faaspot_execution_queue_wait_seconds_sum', { namespace: 'default', blocking: 'false' }) - expected) < 0.002, 'from creation, before the stop, to start');
        const line = second.logs().find((l) => l.msg === 'execution ended' && l.execution_id === queued);
        assert.deepEqual([line?.function, line?.status, line?.blocking], ['ok', 'completed', false]);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      removeDataDir(dataDir);
    }
  });

  test('a run going when the server stopped hard is failed by the next start with ServerRestarted, and that start logs and counts its end', async () => {
    const overrides = { workers: 1, metricsPort: 0 };
    const first = await startTestServer(overrides);
    const dataDir = first.dataDir;
    try {
      await first.create('nap', NAP, { timeout: 900 });
      const interrupted = await startNap(first, 600);
      await first.server.close();

      const second = await startTestServer(overrides, dataDir);
      try {
        assert.deepEqual([(await record(second, interrupted)).status, (await record(second, interrupted)).error?.type], ['failed', 'ServerRestarted']);
        const lines = second.logs().filter((l) => l.msg === 'execution ended' && l.execution_id === interrupted);
        assert.deepEqual(
          lines.map((l) => [l.level, l.function, l.status, l.error_type, l.blocking]),
          [['info', 'nap', 'failed', 'ServerRestarted', false]],
          'one line, from the start that failed it',
        );
        const m = await scrape(second.server.metricsUrl);
        assert.equal(m.value('faaspot_executions_total', { namespace: 'default', function: 'nap', status: 'failed', error_type: 'ServerRestarted' }), 1);
        assert.equal(m.value('faaspot_execution_duration_seconds_count', { function: 'nap' }), 0, 'main did not finish: no run time');
        second.server.engine.takeRecovered();
        assert.deepEqual(second.server.engine.takeRecovered(), [], 'handed over once');
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      removeDataDir(dataDir);
    }
  });
});

describe('the metrics listener', () => {
  test('is off unless FAASPOT_METRICS_PORT is set', async () => {
    const s = await startTestServer({ workers: 1 });
    try {
      assert.equal(s.server.metricsUrl, undefined);
      assert.equal((await s.call('GET', '/metrics', undefined, null)).status, 404);
    } finally {
      await s.stop();
      removeDataDir(s.dataDir);
    }
  });
});

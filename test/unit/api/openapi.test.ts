import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type Router from '@koa/router';
import type Koa from 'koa';
import { createMetricsApp } from '../../../src/api/metrics-app.js';
import { createApp } from '../../../src/api/app.js';
import { openApiDocument } from '../../../src/api/openapi.js';
import { loadConfig } from '../../../src/config.js';
import type { Executor } from '../../../src/engine/executor.js';
import { errorCodes, type ErrorCode } from '../../../src/errors.js';
import type { Store } from '../../../src/store/store.js';
import { createLogger } from '../../../src/telemetry/logger.js';

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;
const config = loadConfig({}, { port: 0 });
const doc = openApiDocument(config) as any;

/** Building the routers touches neither the store nor the executor, so empty stand-ins do. */
function apiApp(): Koa {
  const logger = createLogger({ level: 'silent', format: 'json', destination: { write() {} } });
  return createApp({ config, store: {} as Store, executor: {} as Executor, logger, metrics: { requestEnded() {}, functionRemoved() {} }, callbackKeys: { keyFor: () => 'unused', source: 'environment' } });
}

/** The routes an application's routers register, as `METHOD /openapi/{path}`. */
function registeredRoutes(app: Koa = apiApp()): string[] {
  const routes = new Set<string>();
  // `router.routes()` is a middleware that carries its router; app.use() keeps it as it is.
  for (const middleware of app.middleware as ReturnType<Router['routes']>[]) {
    for (const layer of middleware.router?.stack ?? []) {
      const path = String(layer.path);
      // Middleware layers (router.use) take no method. The empty-segment routes (`/v1/functions//rpc`)
      // exist only to say that the function name is missing: no client calls them as routes.
      if (layer.methods.length === 0 || path.includes('//')) continue;
      const openApiPath = path.replace(/\/+$/, '').replace(/:(\w+)/g, '{$1}') || '/';
      for (const method of layer.methods) {
        if (method !== 'HEAD') routes.add(`${method} ${openApiPath}`);
      }
    }
  }
  return [...routes].sort();
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

function operations(): { route: string; op: any }[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((m) => ({ route: `${m.toUpperCase()} ${path}`, op: item[m] })),
  );
}

function resolve(pointer: string): unknown {
  assert.ok(pointer.startsWith('#/'), `${pointer} points inside the document`);
  let at: unknown = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    at = at !== null && typeof at === 'object' && Object.hasOwn(at, key) ? (at as Record<string, unknown>)[key] : undefined;
  }
  return at;
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refsIn(item, found));
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsIn(inner, found);
    }
  }
  return found;
}

test('the document is OpenAPI 3.1, names the package version, and every $ref resolves inside it', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'));
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(doc.info.title, 'FaaSpot');
  assert.equal(doc.info.version, pkg.version);
  assert.ok(Object.keys(doc.paths).length > 0);
  for (const kind of ['schemas', 'parameters', 'headers', 'responses', 'securitySchemes']) assert.ok(doc.components[kind], kind);
  const refs = refsIn(doc);
  assert.ok(refs.length > 50);
  for (const ref of new Set(refs)) assert.notEqual(resolve(ref), undefined, `${ref} resolves`);
  // Round-trips as JSON: no undefined, functions or cycles.
  assert.deepEqual(JSON.parse(JSON.stringify(doc)), doc);
});

test('every operation has a unique id, a 200 answer with a schema, and a parameter for each path template', () => {
  const ids = operations().map(({ op }) => op.operationId as string);
  assert.equal(new Set(ids).size, ids.length);
  for (const { route, op } of operations()) {
    assert.ok(op.responses['200']?.content['application/json'].schema, `${route} documents its 200 answer`);
    const params = ((op.parameters ?? []) as any[]).map((p): any => (p.$ref ? resolve(p.$ref) : p));
    const inPath = params.filter((p) => p.in === 'path').map((p) => p.name as string).sort();
    const templated = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    assert.deepEqual(inPath, templated, `${route} declares its path parameters`);
    for (const p of params.filter((p) => p.in === 'path')) assert.equal(p.required, true, `${route} ${p.name} is required`);
  }
});

test('every route the routers register is documented, and every documented route is registered', () => {
  const registered = registeredRoutes();
  const documented = documentedRoutes();
  assert.ok(registered.includes('GET /v1/openapi.json') && registered.includes('GET /healthz'));
  const undocumented = registered.filter((route) => !documented.includes(route));
  const unregistered = documented.filter((route) => !registered.includes(route));
  assert.deepEqual(undocumented, [], 'registered routes missing from src/api/openapi.ts');
  assert.deepEqual(unregistered, [], 'documented routes that no router registers');
});

test('the metrics listener is not the API: its route is served apart and left out of the document', () => {
  // GET /metrics is served by an application of its own, on FAASPOT_METRICS_PORT; the API's routers,
  // which the test above compares with the document, never register it.
  const metricsRoutes = registeredRoutes(createMetricsApp({ contentType: 'text/plain', text: () => Promise.resolve('') }));
  assert.deepEqual(metricsRoutes, ['GET /metrics']);
  assert.ok(!registeredRoutes().includes('GET /metrics'));
  assert.deepEqual(metricsRoutes.filter((route) => documentedRoutes().includes(route)), []);
});

test('routes without a token are the open ones in the document; all others need one', () => {
  const open = operations().filter(({ op }) => Array.isArray(op.security) && op.security.length === 0).map(({ route }) => route);
  assert.deepEqual(open.sort(), ['GET /healthz', 'GET /readyz', 'GET /v1/openapi.json']);
  assert.deepEqual(doc.security, [{ token: [] }, { bearer: [] }]);
  for (const { route, op } of operations()) {
    const needsToken = !open.includes(route);
    assert.equal(op.responses['401'] !== undefined, needsToken, `${route} documents 401 exactly when it needs a token`);
  }
});

test('every error code of the registry is in the document, each under its own status', () => {
  const codes = Object.keys(errorCodes) as ErrorCode[];
  assert.deepEqual(doc.components.schemas.ErrorCode.enum, codes);
  const inOperations = new Set<string>();
  for (const { route, op } of operations()) {
    for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
      if (status === '200') continue;
      const answered = response.content['application/json'].schema.allOf[1].properties.code.enum as ErrorCode[];
      assert.ok(answered.length > 0, `${route} ${status} names its codes`);
      for (const code of answered) {
        assert.equal(String(errorCodes[code].status), status, `${route}: ${code} is listed under its status`);
        assert.ok(response.description.includes(`\`${code}\``), `${route}: ${code} is described`);
        inOperations.add(code);
      }
    }
  }
  for (const code of codes) {
    const byStatus = doc.components.responses[`Error${errorCodes[code].status}`];
    assert.ok(byStatus.content['application/json'].schema.allOf[1].properties.code.enum.includes(code), `${code} is in Error${errorCodes[code].status}`);
  }
  // NOT_FOUND answers a path that no route takes, so no operation can list it. Any other code that no
  // operation lists is a new code: add it to the routes that answer it in src/api/openapi.ts.
  assert.deepEqual(codes.filter((code) => !inOperations.has(code)), ['NOT_FOUND']);
});

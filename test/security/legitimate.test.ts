import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { removeDataDir, startTestServer, type TestServer } from '../integration/harness.js';

const EVERYDAY = String.raw`
import collections, datetime, decimal, hashlib, itertools, json, math, re
from dataclasses import dataclass, field
from typing import NamedTuple

calls = 0

class Point(NamedTuple):
    x: int
    y: int

@dataclass
class Basket:
    items: list = field(default_factory=list)
    def total(self):
        return sum(price for _, price in self.items)

class DomainError(Exception):
    pass

def make_adder(n):
    def add(x):
        return x + n
    return add

def main(args, context):
    global calls
    calls += 1
    basket = Basket([("a", decimal.Decimal("1.10")), ("b", decimal.Decimal("2.20"))])
    try:
        raise DomainError("handled")
    except DomainError as error:
        caught = str(error)
    return {
        "json": json.loads(json.dumps({"k": [1, 2]})),
        "re": re.findall(r"\d+", "a1b22c333"),
        "date": datetime.date(2024, 2, 29).isoformat(),
        "math": round(math.sqrt(2), 6),
        "decimal": str(basket.total()),
        "sha256": hashlib.sha256(b"faaspot").hexdigest(),
        "counter": collections.Counter("hello").most_common(1),
        "chain": list(itertools.chain([1], [2, 3])),
        "point": Point(1, 2)._asdict(),
        "closure": make_adder(40)(2),
        "caught": caught,
        "calls": calls,
        "tz": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc).isoformat(),
    }
`;

const ASYNC = String.raw`
import asyncio

async def fetch(n):
    await asyncio.sleep(0.01 * n)
    return n * n

async def main(args, context):
    results = await asyncio.gather(*(fetch(n) for n in range(1, 5)))
    queue = asyncio.Queue()
    await queue.put("queued")
    done = await asyncio.wait_for(queue.get(), timeout=1)
    return {"results": results, "queue": done}
`;

describe('legitimate code keeps working inside the sandbox', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ workers: 1 });
  });
  after(async () => {
    await s.stop();
    removeDataDir(s.dataDir);
  });

  test('the standard library, classes, closures, exceptions and module globals between runs', async () => {
    await s.create('everyday', EVERYDAY);
    const first = await s.call('GET', '/v1/sync/functions/everyday/rpc');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json, {
      json: { k: [1, 2] },
      re: ['1', '22', '333'],
      date: '2024-02-29',
      math: 1.414214,
      decimal: '3.30',
      sha256: '33da6b02d755135f9fcf3b7526405dca1b47aa0e8b2b1cfa0f30b9365e72b385',
      counter: [['l', 2]],
      chain: [1, 2, 3],
      point: { x: 1, y: 2 },
      closure: 42,
      caught: 'handled',
      calls: 1,
      tz: '2024-01-01T00:00:00+00:00',
    });
    const second = await s.call('GET', '/v1/sync/functions/everyday/rpc');
    assert.equal(second.json.calls, 2, 'module globals persist between runs of one version');
  });

  test('async def main awaits asyncio.sleep, gather, queues and wait_for', async () => {
    await s.create('asyncwork', ASYNC);
    const reply = await s.call('GET', '/v1/sync/functions/asyncwork/rpc');
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.json, { results: [1, 4, 9, 16], queue: 'queued' });
  });
});

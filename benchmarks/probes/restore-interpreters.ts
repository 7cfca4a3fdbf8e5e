/**
 * Runs in a worker thread of the benchmark, as the server's interpreters do: boots one sealed
 * interpreter from nothing (the baseline), makes a snapshot the way the engine does, then restores
 * `count` sealed interpreters from it, keeping the last two alive as a worker keeps its pristine and
 * warm ones. Posts `{coldMs, restoreMs: number[]}`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Interpreter } from '../../runtime/interpreter.js';
import { compilePyodide } from '../../src/engine/interpreter-image.js';

const { count } = workerData as { count: number };
const interrupt = new Int32Array(new SharedArrayBuffer(4));

let started = performance.now();
await Interpreter.boot(interrupt);
const coldMs = performance.now() - started;

const module = await compilePyodide();
const bytes = await Interpreter.makeSnapshot(module);
const shared = new SharedArrayBuffer(bytes.byteLength);
const snapshot = new Uint8Array(shared);
snapshot.set(bytes);

const restoreMs: number[] = [];
const alive: Interpreter[] = [];
for (let i = 0; i < count; i++) {
  started = performance.now();
  const interpreter = await Interpreter.boot(interrupt, { image: { snapshot, module } });
  restoreMs.push(performance.now() - started);
  alive.push(interpreter);
  if (alive.length > 2) alive.shift();
}
parentPort?.postMessage({ coldMs, restoreMs });

import Tinypool from 'tinypool';
import type {
  LaneAnswer,
  LaneRequest,
  ServeTask,
  SnapshotResult,
  RunResult,
  RunTask,
  ValidateResult,
  ValidateTask,
  WarmResult,
  WorkerData,
  WorkerResult,
  WorkerTask,
} from '../src/engine/protocol.js';
import { Interpreter, type InterpreterImage, type Outcome } from './interpreter.js';

/**
 * A worker thread: one pristine interpreter kept ready, plus warm interpreters keyed by function
 * version, least recently used first. Runs one task at a time (the engine never sends two).
 */
const data = Tinypool.workerData as WorkerData;

// Pyodide writes its fatal-error dumps to the console, and a function can provoke one: nothing of an
// interpreter's may reach the server's output. The worker itself reports through task results only.
for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) console[method] = () => {};
const interrupt = new Int32Array(data.interruptBuffer);
/** Set by the lane's `serve` task, before any other task arrives. */
let image: InterpreterImage | undefined;

let pristineReady = false;
/**
 * The pristine interpreter, ready or booting. Not replaced the moment it is taken: a boot blocks this
 * thread for about a tenth of a second, so the engine asks for the replacement (a warm task) when the
 * thread is idle, and warm runs never queue behind it. A first run that finds none boots one itself.
 */
let pristine: Promise<Interpreter> | undefined;
/** Insertion order is recency: the first key is the least recently used. */
const warm = new Map<string, Interpreter>();

function bootPristine(): Promise<Interpreter> {
  pristineReady = false;
  const booting = Interpreter.boot(interrupt, { image });
  booting.then(
    () => {
      if (pristine === booting) pristineReady = true;
    },
    () => {},
  );
  return booting;
}

function readyPristine(): Promise<Interpreter> {
  pristine ??= bootPristine();
  return pristine;
}

/** Hands over the pristine interpreter; the next one is booted when asked for. */
async function takePristine(): Promise<Interpreter> {
  const taken = readyPristine();
  pristine = undefined;
  pristineReady = false;
  try {
    return await taken;
  } catch {
    // A failed boot (out of memory, say) is retried once for this run.
    return Interpreter.boot(interrupt, { image });
  }
}

function retire(keys: readonly string[]): void {
  for (const key of keys) warm.delete(key);
}

/** Drops least recently used interpreters until the warm set fits the memory budget. */
function enforceBudget(): void {
  let total = 0;
  for (const interpreter of warm.values()) total += interpreter.memoryBytes();
  for (const [key, interpreter] of warm) {
    if (total <= data.memoryBudgetBytes) break;
    total -= interpreter.memoryBytes();
    warm.delete(key);
  }
}

async function run(task: RunTask): Promise<RunResult> {
  retire(task.retire);
  let interpreter = warm.get(task.key);
  if (interpreter) {
    warm.delete(task.key);
  } else if (!task.source) {
    return {
      kind: 'run',
      outcome: 'not-loaded',
      output: null,
      error: null,
      logs: '',
      logsTruncated: false,
      durationMs: null,
      warm: [...warm.keys()],
      pristineReady,
    };
  } else {
    interpreter = await takePristine();
  }
  if (!interpreter.loaded) interpreter.capMemory(task.memoryLimitBytes);
  // A stale interrupt meant for the previous task must not hit this one.
  Atomics.store(interrupt, 0, 0);
  let outcome: Outcome;
  try {
    outcome = interpreter.run(
      task.args,
      { logBytes: task.logCapBytes, outputBytes: task.outputCapBytes },
      interpreter.loaded ? undefined : task.source,
    );
  } catch (error) {
    // A fatal error of the interpreter itself (its wasm stack overflowed, say): it is dropped.
    outcome = crashed(error);
  }
  const memoryRefused = interpreter.takeMemoryRefusal();
  if (memoryRefused && outcome.status === 'failed') {
    outcome.error = {
      type: 'MemoryLimitExceeded',
      message: `the function used all of its ${Math.round(task.memoryLimitBytes / 2 ** 20)} MiB of memory (${outcome.error?.type ?? 'MemoryError'}: ${outcome.error?.message ?? ''})`,
      traceback: outcome.error?.traceback ?? null,
    };
  }
  // An interrupted interpreter may be stopped anywhere, a failed load leaves no usable main, a
  // crashed one is unusable, and wasm memory never shrinks after hitting the cap: none is kept.
  const interrupted = outcome.error?.type === 'KeyboardInterrupt';
  const loadFailed = outcome.status === 'failed' && outcome.durationMs === null;
  const broken = outcome.error?.type === 'InterpreterCrashed' || outcome.error?.type === 'SandboxViolation';
  if (!interrupted && !loadFailed && !broken && !memoryRefused) warm.set(task.key, interpreter);
  enforceBudget();
  return {
    kind: 'run',
    outcome: outcome.status,
    output: outcome.output,
    error: outcome.error,
    logs: outcome.logs,
    logsTruncated: outcome.logsTruncated,
    durationMs: outcome.durationMs,
    warm: [...warm.keys()],
    pristineReady,
  };
}

function crashed(error: unknown): Outcome {
  const violation = error instanceof Error && error.name === 'SealedRealmError';
  const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  return {
    status: 'failed',
    output: null,
    error: violation
      ? { type: 'SandboxViolation', message: `the function tried to use a JavaScript object (${reason}); its interpreter was discarded`, traceback: null }
      : { type: 'InterpreterCrashed', message: `the interpreter stopped with a fatal error and was replaced: ${reason}`, traceback: null },
    logs: '',
    logsTruncated: false,
    durationMs: null,
  };
}

async function validate(task: ValidateTask): Promise<ValidateResult> {
  // Compiling runs no user code, so the pristine interpreter stays pristine.
  const interpreter = await readyPristine();
  const problem = interpreter.validate(task.code, task.filename);
  return problem ? { kind: 'validate', ok: false, ...problem } : { kind: 'validate', ok: true };
}

async function warmUp(): Promise<WarmResult> {
  await readyPristine();
  return { kind: 'warm', warm: [...warm.keys()], pristineReady };
}

async function makeSnapshot(module: WebAssembly.Module): Promise<SnapshotResult> {
  // Copied once to the engine (about 30 MiB, once per snapshot); not worth a transfer.
  return { kind: 'snapshot', snapshot: await Interpreter.makeSnapshot(module) };
}

function handle(task: WorkerTask): Promise<WorkerResult> {
  switch (task.kind) {
    case 'warm':
      return warmUp();
    case 'run':
      return run(task);
    case 'retire':
      retire(task.keys);
      return Promise.resolve({ kind: 'warm', warm: [...warm.keys()], pristineReady });
    case 'validate':
      return validate(task);
    case 'snapshot':
      return makeSnapshot(task.module);
  }
}

/**
 * Tinypool's entry: the lane's one task. Requests on the port are handled one at a time, in order;
 * a request that throws is answered with the error, and the thread goes on serving.
 */
export default function serve(task: ServeTask): Promise<void> {
  const { port } = task;
  image = task.image ? { snapshot: new Uint8Array(task.image.snapshot), module: task.image.module } : undefined;
  if (!data.snapshotMaker) void readyPristine().catch(() => {});
  let previous: Promise<void> = Promise.resolve();
  port.on('message', (request: LaneRequest) => {
    previous = previous.then(async () => {
      let answer: LaneAnswer;
      try {
        answer = { id: request.id, result: await handle(request.task) };
      } catch (error) {
        const { name, message } = error instanceof Error ? error : new Error(String(error));
        answer = { id: request.id, error: { name, message } };
      }
      port.postMessage(answer);
    });
  });
  return new Promise((resolve) => port.once('close', resolve));
}

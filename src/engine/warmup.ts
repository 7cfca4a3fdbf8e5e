import type { EngineConfig } from './engine.js';
import { compilePyodide, loadOrMakeImage, type ImageSource, type InterpreterImage } from './interpreter-image.js';
import { Lane } from './lane.js';
import type { SnapshotResult } from './protocol.js';

/** The image workers restore interpreters from, and where it came from. */
export interface PreparedImage {
  /** Null: it could be neither read nor made, and each worker boots interpreters from nothing. */
  image: InterpreterImage | null;
  source: ImageSource;
}

/**
 * The part of an engine's start that needs no database: the worker threads starting (each loads
 * Pyodide's JavaScript) and the interpreter image being read from the cache, or made, while Pyodide's
 * WebAssembly compiles. Begun before the store opens, so that all of it overlaps.
 */
export class Warmup {
  /** One per worker, started now; given the image once it is ready. */
  readonly lanes: readonly Lane[];
  readonly image: Promise<PreparedImage>;
  /** The worker making a snapshot, while it does. */
  #maker: Lane | undefined;
  #stopped = false;

  constructor(config: Pick<EngineConfig, 'workers' | 'memoryBudgetBytes' | 'snapshotDir'>) {
    const perLane = Math.floor(config.memoryBudgetBytes / config.workers);
    this.lanes = Array.from({ length: config.workers }, (_, i) => new Lane(i, perLane));
    this.image = loadOrMakeImage(config.snapshotDir, compilePyodide(), (module) => this.#makeSnapshot(module)).catch(
      (): PreparedImage => ({ image: null, source: 'none' }),
    );
  }

  /** Stops every thread it started; a snapshot being made is abandoned. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const lanes = [...this.lanes];
    if (this.#maker) lanes.push(this.#maker);
    await Promise.allSettled(lanes.map((lane) => lane.destroy()));
  }

  async #makeSnapshot(module: WebAssembly.Module): Promise<Uint8Array> {
    if (this.#stopped) throw new Error('the engine stopped before its snapshot was made');
    const maker = new Lane(-1, 0, true);
    maker.provide(null);
    this.#maker = maker;
    try {
      return (await maker.exec<SnapshotResult>({ kind: 'snapshot', module })).snapshot;
    } finally {
      this.#maker = undefined;
      await maker.destroy();
    }
  }
}

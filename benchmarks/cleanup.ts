import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Action = () => Promise<void> | void;

/**
 * Tear-down actions (stop a server, remove a directory), run last-in first-out. A scenario works in
 * a {@link Cleanup.scoped} child, so its servers are gone before the next scenario measures anything;
 * the root runs whatever is still pending when the benchmark ends, fails or is interrupted.
 */
export class Cleanup {
  readonly #actions: Action[] = [];
  #detach: (() => void) | undefined;

  defer(action: Action): void {
    this.#actions.push(action);
  }

  /** A fresh temporary directory, removed at clean-up. */
  tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.defer(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  /** Runs `body` with a child clean-up that is run when `body` ends, however it ends. */
  async scoped<T>(body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
    const child = new Cleanup();
    const action = () => child.run();
    this.#actions.push(action);
    child.#detach = () => {
      const index = this.#actions.indexOf(action);
      if (index >= 0) this.#actions.splice(index, 1);
    };
    try {
      return await body(child);
    } finally {
      await child.run();
    }
  }

  /** Runs every pending action; one that fails is reported and the others still run. */
  async run(): Promise<void> {
    this.#detach?.();
    this.#detach = undefined;
    for (let action = this.#actions.pop(); action; action = this.#actions.pop()) {
      try {
        await action();
      } catch (error) {
        console.error('bench: clean-up step failed:', error);
      }
    }
  }
}

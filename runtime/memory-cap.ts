/**
 * Per-interpreter caps on WebAssembly memory. Worker `resourceLimits` do not cover wasm memory, which
 * can grow to 4 GiB per interpreter; refusing `grow` past a cap makes Emscripten's allocator fail, so
 * the function sees a MemoryError and its interpreter stays usable. Importing this module patches
 * `WebAssembly.Memory.prototype.grow` for the whole worker, which must happen before Pyodide loads.
 */
const caps = new WeakMap<WebAssembly.Memory, number>();
const refused = new WeakSet<WebAssembly.Memory>();
const PAGE = 65_536;

// eslint-disable-next-line @typescript-eslint/unbound-method -- always invoked with .call on a memory
const originalGrow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function grow(this: WebAssembly.Memory, delta: number): number {
  const cap = caps.get(this);
  if (cap !== undefined && this.buffer.byteLength + delta * PAGE > cap) {
    refused.add(this);
    throw new RangeError('memory limit of the function reached');
  }
  return originalGrow.call(this, delta);
};

/** Caps `memory` at `bytes` from now on. */
export function capMemory(memory: WebAssembly.Memory, bytes: number): void {
  caps.set(memory, bytes);
}

/** Whether a grow of `memory` was refused since the last call, and resets that. */
export function takeRefusal(memory: WebAssembly.Memory): boolean {
  const was = refused.has(memory);
  refused.delete(memory);
  return was;
}

/**
 * Pyodide's memory snapshot starts with a header whose second 32-bit word (little-endian) is the
 * offset of the memory image. Read here only; Pyodide itself checks the rest (magic number, build id).
 * Kept apart from pyodide-module.ts so the main thread can read it without loading Pyodide.
 */
export function snapshotImageOffset(snapshot: Uint8Array): number {
  return new DataView(snapshot.buffer, snapshot.byteOffset, 8).getUint32(4, true);
}

/**
 * A quota on what an interpreter's in-memory file system holds. Emscripten's MEMFS keeps each file's
 * contents in a JavaScript typed array, outside the WebAssembly memory that the memory cap bounds, so
 * without this a function could fill the worker's memory with files (`open('/tmp/x', 'wb')`). Every
 * way a file grows goes through MEMFS's `write`, `expandFileStorage` or `resizeFileStorage`; each is
 * wrapped to refuse growth past the quota with ENOSPC, which Python raises as `OSError: [Errno 28] No
 * space left on device`. Frees (unlink, truncate) are not followed as they happen: when a growth
 * would pass the quota, the files are counted afresh first.
 *
 * Pipes (`os.pipe()`) keep what is written and not yet read in JavaScript memory too, and Emscripten
 * never makes a writer wait: each pipe holds at most {@link PIPE_CAPACITY} bytes, as on Linux, and a
 * write to a full pipe fails with EAGAIN (`BlockingIOError`). With at most 4096 open descriptors,
 * pipes hold at most about 128 MiB per interpreter.
 */

/** Emscripten's errno for ENOSPC and EAGAIN (WASI numbering). */
const ENOSPC = 51;
const EAGAIN = 6;
/** What one pipe holds unread at most: Linux's default pipe capacity. */
const PIPE_CAPACITY = 64 * 1024;

interface FsNode {
  mode: number;
  contents: unknown;
  mounted?: { root: FsNode } | null;
}

type Write = (stream: { node: FsNode }, buffer: Uint8Array, offset: number, length: number, position: number, canOwn?: boolean) => number;

interface Memfs {
  ops_table: { file: { stream: { write: Write } } } | null;
  stream_ops: { write: Write };
  expandFileStorage(node: FsNode, capacity: number): void;
  resizeFileStorage(node: FsNode, size: number): void;
}

interface Fs {
  root: FsNode;
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  ErrnoError: new (errno: number) => Error;
}

interface Pipe {
  buckets: Array<{ offset: number; roffset: number }>;
}

interface Pipefs {
  stream_ops: { write(stream: { node: { pipe: Pipe } }, buffer: Uint8Array, offset: number, length: number, position: number): number };
}

/** The Emscripten module's parts this file reaches into. */
export interface FileSystemModule {
  FS: Fs;
  MEMFS: Memfs;
  PIPEFS: Pipefs;
}

/** Caps what each pipe holds unread; see the module comment. */
function capPipes(fs: Fs, pipefs: Pipefs): void {
  const write = pipefs.stream_ops.write.bind(pipefs.stream_ops);
  pipefs.stream_ops.write = (stream, buffer, offset, length, position) => {
    let held = 0;
    for (const bucket of stream.node.pipe.buckets) held += bucket.offset - bucket.roffset;
    const room = PIPE_CAPACITY - held;
    if (length > 0 && room <= 0) throw new fs.ErrnoError(EAGAIN);
    return write(stream, buffer, offset, Math.min(length, room), position);
  };
}

function capacity(node: FsNode): number {
  // A typed array of either signedness: a write from the heap keeps a slice of Int8Array HEAP8.
  return ArrayBuffer.isView(node.contents) ? node.contents.byteLength : 0;
}

/** Bytes held by every file under `root`, mounted file systems included. */
function countFiles(fs: Fs, root: FsNode): number {
  let total = 0;
  const stack = [root];
  const seen = new Set<FsNode>();
  for (let node = stack.pop(); node; node = stack.pop()) {
    const here = node.mounted ? node.mounted.root : node;
    if (seen.has(here)) continue;
    seen.add(here);
    if (fs.isFile(here.mode)) total += capacity(here);
    else if (fs.isDir(here.mode) && here.contents && typeof here.contents === 'object') {
      for (const child of Object.values(here.contents as Record<string, FsNode>)) stack.push(child);
    }
  }
  return total;
}

/** The quota of one interpreter's files; see the module comment. */
export class FileQuota {
  readonly #fs: Fs;
  /** What the files held when the quota was installed (the runtime's own, the standard library). */
  readonly #baseline: number;
  #allowance = Infinity;
  /** Set while a change runs: a write that expands its file is one change, not two. */
  #changing = false;
  /** Bytes held now, or more (frees are not followed). */
  #used: number;

  private constructor(fs: Fs) {
    this.#fs = fs;
    this.#baseline = countFiles(fs, fs.root);
    this.#used = this.#baseline;
  }

  /** Wraps `module`'s MEMFS; the quota allows nothing beyond the files present until {@link limit} says so. */
  static install(module: FileSystemModule): FileQuota {
    const quota = new FileQuota(module.FS);
    const memfs = module.MEMFS;
    const expand = memfs.expandFileStorage.bind(memfs);
    const resize = memfs.resizeFileStorage.bind(memfs);
    const write = memfs.stream_ops.write;
    memfs.expandFileStorage = (node, wanted) => quota.#grow(node, wanted, () => expand(node, wanted));
    memfs.resizeFileStorage = (node, size) => quota.#grow(node, size, () => resize(node, size));
    const guardedWrite: Write = (stream, buffer, offset, length, position, canOwn) =>
      quota.#grow(stream.node, position + length, () => write(stream, buffer, offset, length, position, canOwn));
    memfs.stream_ops.write = guardedWrite;
    // Files' operations were copied into this table when the file system was mounted.
    if (memfs.ops_table) memfs.ops_table.file.stream.write = guardedWrite;
    capPipes(module.FS, module.PIPEFS);
    return quota;
  }

  /** From now on, files may hold at most `bytes` more than they did at installation. */
  limit(bytes: number): void {
    this.#allowance = bytes;
  }

  /** Runs `change`, which may make `node` hold up to `wanted` bytes, if the quota allows it. */
  #grow<T>(node: FsNode, wanted: number, change: () => T): T {
    if (this.#changing) return change();
    const before = capacity(node);
    // What was asked for; expanding may round the capacity up a little more (an eighth, or to 1 MiB).
    const growth = Math.max(0, wanted - before);
    const max = this.#baseline + this.#allowance;
    if (growth > 0 && this.#used + growth > max) {
      this.#used = countFiles(this.#fs, this.#fs.root);
      if (this.#used + growth > max) throw new this.#fs.ErrnoError(ENOSPC);
    }
    this.#changing = true;
    try {
      return change();
    } finally {
      this.#changing = false;
      this.#used += capacity(node) - before;
    }
  }
}

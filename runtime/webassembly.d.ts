// The few WebAssembly JS API types the worker uses. TypeScript ships them only with the DOM
// library, which would also declare browser globals that do not exist in Node.
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Module {}
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function instantiate(module: Module, imports: Record<string, unknown>): Promise<Instance>;
  class Instance {
    readonly exports: Record<string, unknown>;
  }
}

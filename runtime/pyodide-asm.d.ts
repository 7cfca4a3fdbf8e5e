// Pyodide ships its Emscripten module factory without type declarations.
declare module 'pyodide/pyodide.asm.mjs' {
  const createPyodideModule: (settings: Record<string, unknown>) => Promise<unknown>;
  export default createPyodideModule;
}

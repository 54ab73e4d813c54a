// wasmbuilder and wasmcurves (snarkjs's own WebAssembly toolchain) ship no type declarations; these cover the calls
// the Poseidon module makes.
declare module 'wasmbuilder' {
  export type Code = number[];
  export class CodeBuilder {
    call(fn: string, ...args: Code[]): Code;
    i32_const(n: number): Code;
  }
  export class FunctionBuilder {
    addCode(...code: Code[]): void;
    getCodeBuilder(): CodeBuilder;
  }
  export class ModuleBuilder {
    setMemory(pages: number): void;
    alloc(bytes: number | Uint8Array | number[]): number;
    addFunction(name: string): FunctionBuilder;
    exportFunction(name: string, exportName?: string): void;
    build(): number[];
  }
}
declare module 'wasmcurves' {
  import type { ModuleBuilder } from 'wasmbuilder';
  export function buildF1m(module: ModuleBuilder, q: bigint, prefix: string): string;
}

// The WebAssembly JavaScript API that Node provides (the project compiles without the DOM library that declares it).
declare namespace WebAssembly {
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}

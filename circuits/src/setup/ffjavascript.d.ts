/** The little of ffjavascript (snarkjs's curve library, 0.3.x) that the development setup uses. */
declare module 'ffjavascript' {
  export type Bn128 = {
    r: bigint;
    q: bigint;
    Fr: { s: number; w: Uint8Array[]; toObject(a: Uint8Array): bigint };
    tm: { code: Uint8Array; pG1gen: number; pG2gen: number };
    terminate(): Promise<void>;
  };
  /** `singleThread` keeps the compiled WebAssembly (`tm.code`) and starts no workers. */
  export function buildBn128(singleThread?: boolean): Promise<Bn128>;
}

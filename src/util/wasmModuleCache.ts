import { decodeBase64 } from './base64.js';

/**
 * A getter for a WebAssembly module built for an ordinary or a shared
 * memory, from its two base64 binaries: each kind is compiled on first use
 * and kept; null where this runtime cannot compile it (no WebAssembly, no
 * SIMD, or, for a shared memory, no `SharedArrayBuffer`).
 */
export function wasmModuleCache(plainBase64: string, sharedBase64: string): (shared: boolean) => WebAssembly.Module | null {
  const compiled = new Map<boolean, WebAssembly.Module | null>();
  return (shared) => {
    if (!compiled.has(shared)) {
      let module: WebAssembly.Module | null = null;
      try {
        if (typeof WebAssembly === 'object' && (!shared || typeof SharedArrayBuffer === 'function')) {
          module = new WebAssembly.Module(decodeBase64(shared ? sharedBase64 : plainBase64) as Uint8Array<ArrayBuffer>);
        }
      } catch {
        module = null;
      }
      compiled.set(shared, module);
    }
    return compiled.get(shared)!;
  };
}

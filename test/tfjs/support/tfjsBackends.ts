import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** The tfjs backends every adapter test runs on, in Node. */
export const TFJS_BACKENDS = ['cpu', 'wasm'] as const;

/** One of {@link TFJS_BACKENDS}. */
export type TfjsBackendName = (typeof TFJS_BACKENDS)[number];

let wasmPathsSet = false;

/**
 * Makes `name` the active tfjs backend. The WebAssembly backend loads its
 * .wasm binaries from the installed package's dist folder by file path, so
 * nothing is fetched from the network.
 */
export async function useTfjsBackend(name: TfjsBackendName): Promise<void> {
  tf.env().set('PROD', true); // no "install tfjs-node" banner (IS_TEST would also turn on kernel leak checks that trip on tfjs-backend-wasm's own fusedMatMul)
  if (name === 'wasm' && !wasmPathsSet) {
    const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(path.dirname(entry) + path.sep);
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs backend ${name} did not initialize`);
}

/**
 * What decides whether headless-gl can give a WebGL context in Node.
 *
 * @category Backends
 */
export interface HeadlessGlFacts {
  /** Whether the optional dependency `gl` can be found. */
  readonly installed: boolean;
  /** Why loading `gl` failed (e.g. its native part was never built), or null when it loaded or is missing. */
  readonly loadError: string | null;
  /** Whether `gl` gave a 1×1 context. */
  readonly context: boolean;
  /** The X display (`DISPLAY`), or undefined for none. */
  readonly display: string | undefined;
  /** `process.platform`. */
  readonly platform: string;
}

type NodeProcess = {
  getBuiltinModule?: (id: string) => unknown;
  env?: Record<string, string | undefined>;
  platform?: string;
};

/**
 * Looks at this Node process: is `gl` installed and loadable, does it give a context, is there a display. Null outside Node.
 *
 * @category Backends
 */
export function headlessGlFacts(): HeadlessGlFacts | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const mod = proc?.getBuiltinModule?.('node:module') as typeof import('node:module') | undefined;
  if (proc === undefined || mod === undefined) return null;
  const require = mod.createRequire(import.meta.url);
  const display = proc.env?.DISPLAY === '' ? undefined : proc.env?.DISPLAY;
  const platform = proc.platform ?? 'unknown';
  try {
    require.resolve('gl');
  } catch {
    return { installed: false, loadError: null, context: false, display, platform };
  }
  let create: (w: number, h: number) => WebGLRenderingContext | null;
  try {
    create = require('gl') as typeof create;
  } catch (error) {
    return { installed: true, loadError: (error as Error).message, context: false, display, platform };
  }
  let context = false;
  try {
    const gl = create(1, 1);
    context = gl !== null;
    (gl?.getExtension('STACKGL_destroy_context') as { destroy(): void } | null | undefined)?.destroy();
  } catch {
    context = false;
  }
  return { installed: true, loadError: null, context, display, platform };
}

/**
 * Why headless-gl cannot run, in plain words with the fix: the `gl` package
 * is missing (install without `--omit=optional`), failed to load (rebuild
 * it), or gives no context for lack of a display (run under `xvfb-run -a`).
 *
 * @category Backends
 */
export function explainHeadlessGl(f: HeadlessGlFacts): string {
  if (!f.installed) {
    return "the optional dependency 'gl' (headless-gl) is not installed: run npm install without --omit=optional (it builds native code, so a compiler and the GL development headers are needed)";
  }
  if (f.loadError !== null) return `'gl' (headless-gl) is installed but fails to load (${f.loadError}): run npm rebuild gl`;
  if (f.context) return "'gl' (headless-gl) gives a context here; gpu.js declined it";
  if (f.platform === 'linux' && f.display === undefined) {
    return "'gl' (headless-gl) is installed, but there is no display (DISPLAY is not set): run under a virtual one, e.g. xvfb-run -a node your-script.js";
  }
  return `'gl' (headless-gl) is installed but could not create a WebGL context${f.display === undefined ? '' : ` on display ${f.display}`} (no usable OpenGL driver?)`;
}

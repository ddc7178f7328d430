/** Renderer names of software rasterizers: Mesa's llvmpipe, softpipe, swrast and lavapipe, Google's SwiftShader. */
const SOFTWARE = /llvmpipe|softpipe|swrast|lavapipe|swiftshader|software/i;

/**
 * Whether `context` (or, when null, this machine's GL) renders in software, or null when it cannot tell.
 *
 * Browsers name the renderer through `WEBGL_debug_renderer_info`. headless-gl
 * does not; there, on Linux, a machine without a DRM render node
 * (`/dev/dri/renderD*`) or an NVIDIA device can only rasterize in software.
 *
 * @category Backends
 */
export function detectSoftwareRenderer(context: WebGLRenderingContext | null): boolean | null {
  const info = context?.getExtension('WEBGL_debug_renderer_info') ?? null;
  if (context !== null && info !== null) return SOFTWARE.test(String(context.getParameter(info.UNMASKED_RENDERER_WEBGL)));
  const fs = nodeFs();
  if (fs === null || typeof process === 'undefined' || process.platform !== 'linux') return null;
  const has = (dir: string, prefix: string) => {
    try {
      return fs.readdirSync(dir).some((name) => name.startsWith(prefix));
    } catch {
      return false;
    }
  };
  return !has('/dev/dri', 'renderD') && !has('/dev', 'nvidia');
}

function nodeFs(): typeof import('node:fs') | null {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  return typeof getBuiltin === 'function' ? (getBuiltin('node:fs') as typeof import('node:fs')) : null;
}

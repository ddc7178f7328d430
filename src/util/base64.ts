/**
 * Exact, JSON-safe encodings of typed arrays: the raw little-endian bytes in
 * base64. Unlike arrays of numbers they keep -0, NaN payloads and every bit.
 */

/**
 * The bytes of `array` as base64.
 *
 * @category Backends
 */
export function encodeBase64(array: ArrayBufferView): string {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (typeof Buffer !== 'undefined') return Buffer.from(bytes).toString('base64');
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/**
 * The bytes of a base64 string, in a fresh, aligned buffer.
 *
 * @category Backends
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof Buffer !== 'undefined') {
    const view = Buffer.from(text, 'base64');
    const out = new Uint8Array(view.length);
    out.set(view);
    return out;
  }
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

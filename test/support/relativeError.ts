/**
 * ‖a − b‖ / ‖b‖ over elements [start, end) (the absolute ‖a − b‖ when b is
 * zero there): how far a float32 result is from its reference, per layer.
 */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>, start: number, end: number): number {
  let diff = 0;
  let norm = 0;
  for (let i = start; i < end; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

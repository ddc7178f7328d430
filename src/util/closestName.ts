/**
 * The name in `candidates` closest to `name` by edit distance, when it is close
 * enough to be a likely typo (at most a third of the name's length, at least 1
 * edit, and at most 3 edits); otherwise undefined. Case is ignored, and a
 * camelCase tail of a candidate counts too, so `learnigRate` finds
 * `initialLearningRate` through its tail `LearningRate`.
 *
 * @category Backends
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    for (const tail of camelTails(candidate)) {
      const d = editDistance(name.toLowerCase(), tail.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `fooBarBaz` → [`fooBarBaz`, `BarBaz`, `Baz`]. */
function camelTails(name: string): string[] {
  const tails = [name];
  for (let i = 1; i < name.length; i++) {
    if (name[i] >= 'A' && name[i] <= 'Z') tails.push(name.slice(i));
  }
  return tails;
}

/**
 * Levenshtein distance between two strings.
 *
 * @category Backends
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

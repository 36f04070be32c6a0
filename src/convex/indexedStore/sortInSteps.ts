/**
 * Sorting a million index keys without holding the event loop: a stable,
 * bottom-up merge sort of positions 0..n-1 that is a generator, yielding
 * after every STEP elements of work, so its caller (a restart loading a
 * snapshot) can let a SIGTERM handler run between steps and stop there.
 * Array.prototype.sort cannot be interrupted, and sorting one index of
 * 1,000,000 documents in one call takes seconds of CPU on a loaded machine;
 * no sorting library on npm sorts in resumable steps, hence this one.
 *
 * It sorts positions (a Uint32Array, no object per element) and compares
 * them through `compare`, so the keys themselves are never moved. Runs that
 * are already in order (documents of a snapshot arrive in creation order)
 * cost one comparison each instead of a merge.
 */

/** Elements of work between two yields: a few milliseconds of comparisons. */
const STEP = 4096;
/** Runs first sorted by V8's own sort (stable, and one step each), then merged. */
const RUN = 1024;

/**
 * The positions 0..n-1 ordered by `compare` (ties keep their position order).
 * Drive it with `for (… of …)` or `yield*`; each yield is a point where the
 * caller may pause.
 */
export function* sortInSteps(
  n: number,
  compare: (a: number, b: number) => number,
): Generator<void, Uint32Array, void> {
  let from = new Uint32Array(n);
  for (let i = 0; i < n; i++) from[i] = i;
  let to = new Uint32Array(n);
  let work = 0;
  for (let left = 0; left < n; left += RUN) {
    // Up to about 10,000 comparisons: a step of its own.
    from.subarray(left, Math.min(left + RUN, n)).sort(compare);
    yield;
  }
  for (let width = RUN; width < n; width *= 2) {
    for (let left = 0; left < n; left += 2 * width) {
      const middle = Math.min(left + width, n);
      const end = Math.min(left + 2 * width, n);
      if (middle === end || compare(from[middle - 1]!, from[middle]!) <= 0) {
        // Already in order (or nothing to merge with): copied as it is.
        to.set(from.subarray(left, end), left);
        work += 1 + ((end - left) >> 6);
      } else {
        let i = left;
        let j = middle;
        let k = left;
        while (i < middle && j < end) {
          // `<= 0` takes the left one on a tie: stable.
          to[k++] = compare(from[i]!, from[j]!) <= 0 ? from[i++]! : from[j++]!;
          if (++work >= STEP) {
            work = 0;
            yield;
          }
        }
        if (i < middle) to.set(from.subarray(i, middle), k);
        else to.set(from.subarray(j, end), k);
      }
      if (work >= STEP) {
        work = 0;
        yield;
      }
    }
    [from, to] = [to, from];
  }
  return from;
}

/** Runs a stepped computation to its end without pausing. */
export function runToEnd<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs a stepped computation, awaiting `pause` at each step (which may throw to stop it). */
export async function runPaced<T>(
  steps: Generator<void, T, void>,
  pause: () => Promise<void> | void,
): Promise<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await pause();
  }
}

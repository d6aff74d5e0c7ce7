/**
 * Lines of one write that name the same thing (a product and lot, a shipment line): an upstream
 * applies them over one another (a second count replaces the first, a second received quantity
 * is dropped), so each connector refuses the repeat and says which earlier line it repeats. What
 * counts as "the same" differs per connector (its key); finding the repeat is this, once.
 */

/** A line whose key an earlier line has: its index and the index of the first line with that key. */
export interface RepeatedLine {
  index: number;
  earlier: number;
}

/**
 * For checks that learn each line's key one at a time, in order (after resolving the line
 * upstream, between other checks of that line): given a line's key and index, the first earlier
 * line with that key, else undefined (and this line is remembered as the first).
 */
export function lineKeys(): (key: string, index: number) => number | undefined {
  const first = new Map<string, number>();
  return (key, index) => {
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, index);
    return earlier;
  };
}

/** The first line whose key an earlier line has, and that earlier line; undefined when none repeats. */
export function firstRepeatedLine<T>(
  lines: readonly T[],
  keyOf: (line: T, index: number) => string,
): RepeatedLine | undefined {
  const earlierOf = lineKeys();
  for (const [index, line] of lines.entries()) {
    const earlier = earlierOf(keyOf(line, index), index);
    if (earlier !== undefined) return { index, earlier };
  }
  return undefined;
}

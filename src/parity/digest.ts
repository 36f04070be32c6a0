/**
 * Range digests on the Node side: the sum mod 2^64 of the rows' canonical-hash
 * prefixes, with the row count. Must combine exactly as convex/checks does
 * (pinned by test/parity/convexCanonical.test.ts).
 */

export interface Digest {
  count: number;
  sum: bigint;
}

export const emptyDigest = (): Digest => ({ count: 0, sum: 0n });

export function hashPrefix(rowHash: string): bigint {
  return BigInt(`0x${rowHash.slice(0, 16)}`);
}

export function addRow(digest: Digest, rowHash: string): void {
  digest.count += 1;
  digest.sum = BigInt.asUintN(64, digest.sum + hashPrefix(rowHash));
}

export function digestOf(rowHashes: Iterable<string>): Digest {
  const digest = emptyDigest();
  for (const hash of rowHashes) addRow(digest, hash);
  return digest;
}

export function digestHex(sum: bigint): string {
  return BigInt.asUintN(64, sum).toString(16).padStart(16, '0');
}

export function sameDigest(a: Digest, b: { count: number; sum: bigint | string }): boolean {
  const other = typeof b.sum === 'string' ? BigInt(`0x${b.sum}`) : b.sum;
  return a.count === b.count && a.sum === BigInt.asUintN(64, other);
}

/**
 * Order of key texts as Postgres sorts them with COLLATE "C" in UTF-8 and as
 * Convex orders strings: by code point (UTF-8 bytes). JavaScript's `<`
 * compares UTF-16 code units, which differs only when a surrogate pair meets a
 * character from U+E000 to U+FFFF.
 */
export function compareKeyText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

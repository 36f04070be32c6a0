/**
 * Sticky percentages. A user's bucket is a stable hash of (the table's salt,
 * the user id) into 10,000 buckets, and a user is in the share when the bucket
 * is below percent × 100. The threshold only moves, so raising the percentage
 * only adds users and lowering it only removes them; a per-table salt keeps
 * the same users from being first on every table.
 */
import { createHash, randomBytes } from 'node:crypto';

export const BUCKETS = 10_000;

/** The user's bucket, 0 … 9,999, for one table's salt. */
export function userBucket(salt: string, userId: string | number): number {
  const digest = createHash('sha256').update(salt).update('\0').update(String(userId)).digest();
  // 32 bits of a uniform hash: the modulo bias is below 10,000 / 2^32.
  return digest.readUInt32BE(0) % BUCKETS;
}

/** Whether a bucket falls in a percentage (0–100, 0.01 steps). */
export function inPercent(bucket: number, percent: number): boolean {
  return bucket < Math.round(percent * 100);
}

/** A fresh random salt for a table entering a stage for the first time. */
export function newSalt(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Seeded randomness for the sample generator. Each table draws from its own
 * stream (the seed's generator jumped a fixed number of times), so changing how
 * one table is generated never shifts the values of another.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** Stream numbers: fixed forever, so a given seed keeps producing the same data. */
export const STREAMS = {
  language: 1,
  image: 2,
  avatar: 3,
  speaker: 4,
  localization: 5,
  avatarMapping: 6,
  course: 7,
  story: 8,
  storyContent: 9,
  storyDone: 10,
} as const;

export class SampleRandom {
  constructor(private readonly rng: JumpableRandomGenerator) {}

  static stream(seed: number, stream: number): SampleRandom {
    const rng = xoroshiro128plus(seed);
    for (let i = 0; i < stream; i++) rng.jump();
    return new SampleRandom(rng);
  }

  /** Integer in [from, to], both included. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** True with probability `p` (resolution 1/1,000,000). */
  chance(p: number): boolean {
    return uniformInt(this.rng, 0, 999_999) < Math.round(p * 1_000_000);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[uniformInt(this.rng, 0, items.length - 1)] as T;
  }

  /** `value` with probability 1 - pNull, else null: most optional columns are sometimes NULL. */
  maybe<T>(pNull: number, value: () => T): T | null {
    return this.chance(pNull) ? null : value();
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += (this.int(0, 0xffff) | 0x10000).toString(16).slice(1);
    return out.slice(0, length);
  }
}

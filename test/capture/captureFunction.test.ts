import { describe, expect, it } from 'vitest';
import { captureFunctionName } from '../../src/capture/index.js';

describe('captureFunctionName', () => {
  it('is capture_<table> when that fits in a Postgres identifier (63 bytes)', () => {
    expect(captureFunctionName('story_done')).toBe('capture_story_done');
    expect(captureFunctionName('t'.repeat(55))).toBe(`capture_${'t'.repeat(55)}`);
  });

  it('cuts longer names to 63 bytes on a character boundary and adds a hash, so two never collide', () => {
    const a = captureFunctionName(`${'é'.repeat(40)}_a`);
    const b = captureFunctionName(`${'é'.repeat(40)}_b`);
    for (const name of [a, b]) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^capture_é+_[0-9a-f]{10}$/);
    }
    expect(a).not.toBe(b);
    expect(captureFunctionName('😀'.repeat(20))).toMatch(/^capture_(😀)+_[0-9a-f]{10}$/u);
  });
});

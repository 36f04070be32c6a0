import { describe, expect, it } from 'vitest';
import { formatStatusTable } from '../../src/cli/commands/capture.js';

describe('capture status table', () => {
  it('aligns columns and prints ages and dashes', () => {
    const text = formatStatusTable([
      { table: 'story', state: 'enabled', installed: true, keyColumns: ['id'], pending: 12, oldestPendingMs: 95_500, untracked: 3, paused: null },
      { table: 'capture_pair', state: 'absent', installed: false, keyColumns: ['lang', 'n'], pending: 0, oldestPendingMs: null, untracked: 0, paused: null },
      { table: 'gone', state: 'missing-table', installed: false, keyColumns: [], pending: 0, oldestPendingMs: 250, untracked: 0, paused: null },
    ]);
    expect(text).toBe(
      [
        'table         capture        key     pending  oldest  untracked',
        'story         enabled        id           12   1m35s          3',
        'capture_pair  absent         lang,n        0       -          0',
        'gone          missing-table  -             0   250ms          0',
        '',
      ].join('\n'),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { formatPaused, formatStatusTable } from '../../src/cli/commands/capture.js';

describe('capture status table', () => {
  it('aligns columns and prints ages and dashes', () => {
    const text = formatStatusTable([
      { table: 'story', state: 'enabled', installed: true, keyColumns: ['id'], pending: 12, oldestPendingMs: 95_500, untracked: 3, refusedWhileFrozen: 0, paused: null, shapeChange: null },
      { table: 'capture_pair', state: 'absent', installed: false, keyColumns: ['lang', 'n'], pending: 0, oldestPendingMs: null, untracked: 0, refusedWhileFrozen: 0, paused: null, shapeChange: null },
      { table: 'gone', state: 'missing-table', installed: false, keyColumns: [], pending: 0, oldestPendingMs: 250, untracked: 0, refusedWhileFrozen: 0, paused: null, shapeChange: null },
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

  it('shows writes a freeze refused beside the untracked ones', () => {
    const row = { table: 'image', state: 'enabled' as const, installed: true, keyColumns: ['id'], pending: 0, oldestPendingMs: null, untracked: 1, refusedWhileFrozen: 2, paused: null, shapeChange: null };
    expect(formatStatusTable([row]).split('\n')[1]).toBe('image  enabled  id         0       -  1 +2 refused (frozen)');
  });

  it('shows a paused table as paused, with one line giving the reason', () => {
    const paused = { table: 'item', reason: 'schema of "item" changed under capture: column(s) added colour', detail: {}, pausedAt: new Date(0) };
    const rows = [
      { table: 'item', state: 'enabled' as const, installed: true, keyColumns: ['sku'], pending: 2, oldestPendingMs: null, untracked: 0, refusedWhileFrozen: 0, paused, shapeChange: null },
      { table: 'visit', state: 'enabled' as const, installed: true, keyColumns: ['id'], pending: 0, oldestPendingMs: null, untracked: 0, refusedWhileFrozen: 0, paused: null, shapeChange: null },
    ];
    expect(formatStatusTable(rows).split('\n')[1]).toBe('item   paused   sku        2       -          0');
    expect(formatPaused(rows)).toBe(`paused     item  (${paused.reason})\n`);
    const changed = { table: 'visit', added: [], dropped: ['note'], retyped: [], tableMissing: false };
    expect(formatPaused([rows[0]!, { ...rows[1]!, shapeChange: changed }])).toBe(
      `paused     item  (${paused.reason})\n` +
        'changed    visit  (schema of "visit" changed under capture: column(s) dropped note; run codegen, deploy Convex, then `tandem capture install`)\n',
    );
  });
});

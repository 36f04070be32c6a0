/**
 * Per-table counts of this process's recent reads (Convex reads and their
 * failures, shadow comparisons and their drifts) over a sliding window, kept
 * in one-second slots: what the automatic rollback rules on rates read.
 */
export type ReadStatName = 'convexReads' | 'convexErrors' | 'shadowCompared' | 'shadowDrift';

const SLOT_MS = 1000;

export class ReadStats {
  /** table → stat → slot (second) → count */
  private readonly slots = new Map<string, Map<ReadStatName, Map<number, number>>>();

  constructor(
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(tables: readonly string[], stat: ReadStatName, n = 1): void {
    const slot = Math.floor(this.now() / SLOT_MS);
    for (const table of tables) {
      let byStat = this.slots.get(table);
      if (!byStat) this.slots.set(table, (byStat = new Map()));
      let bySlot = byStat.get(stat);
      if (!bySlot) byStat.set(stat, (bySlot = new Map()));
      bySlot.set(slot, (bySlot.get(slot) ?? 0) + n);
      if (bySlot.size > this.windowMs / SLOT_MS + 2) this.prune(bySlot, slot);
    }
  }

  /** The count of `stat` for `table` over the last `withinMs` (at most the window). */
  count(table: string, stat: ReadStatName, withinMs = this.windowMs): number {
    const bySlot = this.slots.get(table)?.get(stat);
    if (!bySlot) return 0;
    const from = Math.floor((this.now() - Math.min(withinMs, this.windowMs)) / SLOT_MS);
    let total = 0;
    for (const [slot, n] of bySlot) if (slot > from) total += n;
    return total;
  }

  private prune(bySlot: Map<number, number>, current: number): void {
    const oldest = current - Math.ceil(this.windowMs / SLOT_MS);
    for (const slot of bySlot.keys()) if (slot <= oldest) bySlot.delete(slot);
  }
}

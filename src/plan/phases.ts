/**
 * The plan's phases (DOMAIN.md: small lookup tables first, core content next,
 * high-volume event tables last), derived from the shape of the foreign-key
 * graph alone so that they hold for any schema:
 *
 * - lookup: a table that references no other mirrored table (a root), or one
 *   that nobody references and that references roots only (a mapping or
 *   dictionary hanging off lookups: speaker, localization, avatar_mapping).
 * - events: a table nobody references that references a non-root table
 *   (story_approval and story_done hang off story). Nothing depends on them,
 *   so they can always go last.
 * - core: everything else, each core table its own phase named after it
 *   (course, story), because core tables move one at a time.
 *
 * Self-references are ignored here; the phases are computed over all mirrored
 * tables, so restricting a plan to some tables does not change them.
 */
export type PhaseKind = 'lookup' | 'core' | 'events';

export interface TablePhase {
  /** 'lookup', 'events', or the core table's own name. */
  phase: string;
  kind: PhaseKind;
  /** Why the table is in this phase, in words. */
  because: string;
}

export const PHASE_RANK: Record<PhaseKind, number> = { lookup: 0, core: 1, events: 2 };

export function assignPhases(
  tables: readonly string[],
  edges: ReadonlyArray<{ from: string; to: string }>,
): Map<string, TablePhase> {
  const known = new Set(tables);
  const deps = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  const referrers = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  for (const e of edges) {
    if (e.from === e.to || !known.has(e.from) || !known.has(e.to)) continue;
    deps.get(e.from)!.add(e.to);
    referrers.get(e.to)!.add(e.from);
  }
  const isRoot = (t: string) => deps.get(t)!.size === 0;
  const phases = new Map<string, TablePhase>();
  for (const table of tables) {
    const parents = [...deps.get(table)!];
    const referenced = referrers.get(table)!.size > 0;
    if (isRoot(table)) {
      phases.set(table, {
        phase: 'lookup',
        kind: 'lookup',
        because: 'references no other mirrored table',
      });
    } else if (!referenced && parents.every(isRoot)) {
      phases.set(table, {
        phase: 'lookup',
        kind: 'lookup',
        because: 'nothing references it and it only references lookup tables',
      });
    } else if (!referenced) {
      const core = parents.filter((p) => !isRoot(p));
      phases.set(table, {
        phase: 'events',
        kind: 'events',
        because: `nothing references it and it hangs off ${core.join(', ')}`,
      });
    } else {
      phases.set(table, {
        phase: table,
        kind: 'core',
        because: `referenced by ${[...referrers.get(table)!].sort().join(', ')} and references ${parents.sort().join(', ')}`,
      });
    }
  }
  return phases;
}

/**
 * DOMAIN.md's six invariants checked in Convex. The work runs inside Convex
 * (convex/checks/invariants.ts): queries that page through courses and
 * stories, each page far below Convex's read limits, so only violations cross
 * the network whatever the data size. Edge cases are those of definitions.ts,
 * applied as the Postgres checker applies them. Violations are returned in the
 * Postgres checker's order: by invariant, then key.
 */
import type { ParityReader } from 'tandem';
import {
  INVARIANTS,
  invariantDefinition,
  type InvariantNumber,
  type InvariantViolation,
} from './definitions.js';
import type { CheckInvariantsOptions } from './postgres.js';

type InvariantSubject = 'course' | 'story';

/** The story site's own Convex queries (convex/parity.ts), one page of violations each. */
export const INVARIANT_QUERY_PATHS: Record<InvariantSubject, string> = {
  course: 'parity:courseInvariants',
  story: 'parity:storyInvariants',
};

interface InvariantViolationPage {
  violations: Array<{ invariant: number; key: number; detail: string }>;
  continueCursor: string | null;
}

const SUBJECT_INVARIANTS: Record<InvariantSubject, readonly InvariantNumber[]> = {
  course: [1, 2, 3, 6],
  story: [4, 5],
};

/** Courses or stories per Convex call (Convex caps each page lower when a page reads a lot). */
const PAGE_ITEMS: Record<InvariantSubject, number> = { course: 200, story: 1000 };

async function subjectViolations(reader: ParityReader, subject: InvariantSubject): Promise<InvariantViolation[]> {
  const found: InvariantViolation[] = [];
  let cursor: string | null = null;
  do {
    const page = (await reader.query(INVARIANT_QUERY_PATHS[subject], {
      cursor,
      maxItems: PAGE_ITEMS[subject],
    })) as InvariantViolationPage;
    for (const v of page.violations) {
      const { name, table } = invariantDefinition(v.invariant as InvariantNumber);
      found.push({ invariant: v.invariant as InvariantNumber, name, table, key: v.key, detail: v.detail });
    }
    cursor = page.continueCursor;
  } while (cursor !== null);
  return found;
}

export async function checkInvariantsConvex(
  reader: ParityReader,
  options: CheckInvariantsOptions = {},
): Promise<InvariantViolation[]> {
  const wanted = new Set(options.only ?? INVARIANTS.map((d) => d.invariant));
  const violations: InvariantViolation[] = [];
  for (const subject of ['course', 'story'] as const) {
    if (!SUBJECT_INVARIANTS[subject].some((n) => wanted.has(n))) continue;
    violations.push(...(await subjectViolations(reader, subject)).filter((v) => wanted.has(v.invariant)));
  }
  // Stable sort: within one key, a page's own order (invariant 3's from before learning) is kept.
  violations.sort((a, b) => a.invariant - b.invariant || a.key - b.key);
  if (options.limitPerInvariant === undefined) return violations;
  const seen = new Map<number, number>();
  return violations.filter((v) => {
    const n = (seen.get(v.invariant) ?? 0) + 1;
    seen.set(v.invariant, n);
    return n <= options.limitPerInvariant!;
  });
}

/**
 * The six cross-table invariants of DOMAIN.md, named once so that every checker
 * (Postgres now, Convex later) reports them the same way. Edge-case decisions
 * are part of the definition, so both checkers must apply them identically:
 * see docs/sample-data.md ("Invariant edge cases").
 */

export type InvariantNumber = 1 | 2 | 3 | 4 | 5 | 6;

export interface InvariantDefinition {
  invariant: InvariantNumber;
  name: string;
  /** The table whose row is reported as the violating one. */
  table: 'course' | 'story';
  description: string;
}

export interface InvariantViolation {
  invariant: InvariantNumber;
  name: string;
  table: 'course' | 'story';
  /** Primary key of the violating row. */
  key: number;
  /** Human-readable expected vs actual. */
  detail: string;
}

export const INVARIANTS: readonly InvariantDefinition[] = [
  {
    invariant: 1,
    name: 'course-count',
    table: 'course',
    description:
      "course.count equals the number of the course's stories that are public and not deleted " +
      '(a NULL count compares as 0; a NULL story.deleted counts as not deleted, a NULL story.public as not public)',
  },
  {
    invariant: 2,
    name: 'course-todo-count',
    table: 'course',
    description:
      "course.todo_count equals the sum of todo_count over the course's non-deleted stories (0 when none)",
  },
  {
    invariant: 3,
    name: 'course-language-names',
    table: 'course',
    description:
      'course.learning_language_name / from_language_name equal the current names of the referenced languages ' +
      '(a column whose language id is NULL is not checked; one violation per wrong column)',
  },
  {
    invariant: 4,
    name: 'story-status',
    table: 'story',
    description:
      "story.status follows the story's approval count: 0 → draft, 1 → feedback, 2 or more → finished " +
      '(deleted stories included; a NULL status counts as draft, the column default)',
  },
  {
    invariant: 5,
    name: 'story-published-date',
    table: 'story',
    description: 'a public story (public = true, deleted or not) has a date_published',
  },
  {
    invariant: 6,
    name: 'course-short',
    table: 'course',
    description:
      "course.short equals '<learning short>-<from short>' when both languages are set (not checked otherwise)",
  },
];

export function invariantDefinition(invariant: InvariantNumber): InvariantDefinition {
  const found = INVARIANTS.find((d) => d.invariant === invariant);
  if (!found) throw new Error(`unknown invariant ${invariant}`);
  return found;
}

export type StoryStatus = 'draft' | 'feedback' | 'finished';

/** The status rule of write path 4, shared by the checkers and the sample generator. */
export function statusForApprovalCount(approvals: number): StoryStatus {
  if (approvals <= 0) return 'draft';
  return approvals === 1 ? 'feedback' : 'finished';
}

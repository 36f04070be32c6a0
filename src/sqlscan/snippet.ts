/**
 * A piece of SQL found in a source file, before parsing: literal text plus slots
 * for the `${…}` interpolations whose SQL is unknown until run time.
 *
 * A slot offers several candidate substitutions, most likely first (a bound
 * parameter, an inlined nested `sql` fragment, nothing at all, a made-up
 * identifier…). The parser tries the first choice of every slot and, on a syntax
 * error, moves on the slot just before the error (see parseSnippet.ts).
 */
import type ts from 'typescript';
import { SqlText, SqlTextBuilder } from './sqlText.js';

export type SnippetPart =
  | { kind: 'source'; text: string; fileStart: number; offsets?: number[] }
  | { kind: 'synthetic'; text: string; fileStart: number }
  | { kind: 'slot'; id: number; fileStart: number; candidates: SlotCandidate[] };

export interface SlotCandidate {
  parts: SnippetPart[];
  /** Nested `sql` templates this candidate inlines (not scanned on their own when chosen). */
  inlined?: ts.Node[];
}

export interface Snippet {
  parts: SnippetPart[];
  /** Where the snippet starts in the file (warnings without a better position point here). */
  fileStart: number;
  /** A tagged template may hold only part of a statement (a WHERE condition, a column list). */
  mayBeFragment: boolean;
  /** The node the SQL was found at (a tagged template, a call); absent for .sql files. */
  node?: ts.Node;
  /** Only probably SQL (a SQL-shaped string anywhere): a parse failure is not worth a warning. */
  quiet?: boolean;
}

/** The snippet's SQL as assembled for one combination of slot choices. */
export interface RenderedSnippet {
  sql: SqlText;
  /** Slots in text order, with where their text starts in the assembled SQL. */
  slots: Array<{ id: number; sqlStart: number; choice: number; choices: number }>;
  inlined: ts.Node[];
}

let nextSlotId = 1;

/** A new slot id; ids only need to be unique within one snippet, but global is simpler. */
export function newSlotId(): number {
  return nextSlotId++;
}

/** Assembles the snippet's SQL with the chosen candidate per slot (default: the first). */
export function renderSnippet(
  snippet: Snippet,
  choices: ReadonlyMap<number, number>,
  prefix = '',
): RenderedSnippet {
  const builder = new SqlTextBuilder();
  const slots: RenderedSnippet['slots'] = [];
  const inlined: ts.Node[] = [];
  builder.appendSynthetic(prefix, snippet.fileStart);
  const renderParts = (parts: SnippetPart[]): void => {
    for (const part of parts) {
      if (part.kind === 'source') builder.appendSource(part.text, part.fileStart, part.offsets);
      else if (part.kind === 'synthetic') builder.appendSynthetic(part.text, part.fileStart);
      else {
        const choice = Math.min(choices.get(part.id) ?? 0, part.candidates.length - 1);
        slots.push({
          id: part.id,
          sqlStart: builder.length,
          choice,
          choices: part.candidates.length,
        });
        const candidate = part.candidates[choice];
        if (!candidate) continue;
        inlined.push(...(candidate.inlined ?? []));
        renderParts(candidate.parts);
      }
    }
  };
  renderParts(snippet.parts);
  return { sql: builder.build(), slots, inlined };
}

/** Snippet text with every slot at its first choice, for quick checks (does it look like SQL?). */
export function defaultText(snippet: Snippet): string {
  return renderSnippet(snippet, new Map()).sql.text;
}

const STATEMENT_START =
  /^(select|insert|update|delete|with|values|table|truncate|copy|create|alter|drop|merge|grant|revoke|comment|lock|explain|analyze|analyse|vacuum|refresh|call|do|begin|commit|rollback|savepoint|release|start|set|reset|show|listen|notify|unlisten|prepare|execute|deallocate|declare|fetch|move|close|discard|reindex|cluster|checkpoint|import|security|abort|end|load)\b/i;

/** True when the text starts (after comments, whitespace and parentheses) with a SQL statement keyword. */
export function startsLikeStatement(text: string): boolean {
  return STATEMENT_START.test(stripLeadingNoise(text));
}

/** True when the text holds nothing but whitespace and comments. */
export function isBlankSql(text: string): boolean {
  return stripLeadingNoise(text).replace(/[;\s]/g, '') === '';
}

/** The text without leading whitespace, comments and opening parentheses. */
export function stripLeadingNoise(text: string): string {
  let rest = text;
  for (;;) {
    const next = rest
      .replace(/^[\s(]+/, '')
      .replace(/^--[^\n]*\n?/, '')
      .replace(/^\/\*[\s\S]*?\*\//, '');
    if (next === rest) return rest;
    rest = next;
  }
}

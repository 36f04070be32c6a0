/**
 * Parses a snippet with the real PostgreSQL parser (libpg-query, compiled to WASM).
 *
 * Interpolations make the SQL uncertain, so parsing is a small search: every slot
 * starts at its most likely substitution; on a syntax error, the last slot that
 * starts at or before the error position moves to its next candidate, and the
 * parse is tried again. A tagged template that does not start with a statement
 * keyword may be a fragment (`and age > ${n}`, `from story s join …`): it is
 * parsed inside a few fixed wrappers that contain no table names.
 */
import { loadModule, parseSync, type ParseResult } from 'libpg-query';
import {
  renderSnippet,
  startsLikeStatement,
  defaultText,
  isBlankSql,
  type RenderedSnippet,
  type Snippet,
} from './snippet.js';

let parserLoaded: Promise<void> | undefined;

/** Loads the WASM parser once; every scan awaits this before parsing synchronously. */
export function loadSqlParser(): Promise<void> {
  parserLoaded ??= loadModule();
  return parserLoaded;
}

export type ParseOutcome =
  | { ok: true; result: ParseResult; rendered: RenderedSnippet; fragment: boolean }
  | { ok: false; message: string; fileOffset: number; fragment: boolean };

const FRAGMENT_WRAPPERS = [
  'SELECT ',
  'SELECT 1 WHERE ',
  'SELECT 1 WHERE TRUE ',
  'SELECT * ',
  'SELECT * FROM ',
  'SELECT 1 FROM (SELECT 1) AS __tandem_fragment ',
];

/** Parses the snippet; undefined when it holds no SQL at all (an empty template, only comments). */
export function parseSnippet(snippet: Snippet): ParseOutcome | undefined {
  const text = defaultText(snippet);
  if (isBlankSql(text)) return undefined;
  const fragment = snippet.mayBeFragment && !startsLikeStatement(text);
  const wrappers = fragment ? FRAGMENT_WRAPPERS : [''];
  let firstFailure: Extract<ParseOutcome, { ok: false }> | undefined;
  for (const wrapper of wrappers) {
    const outcome = parseWithRetries(snippet, wrapper, fragment);
    if (outcome.ok) return outcome;
    firstFailure ??= outcome;
  }
  return firstFailure;
}

function parseWithRetries(snippet: Snippet, wrapper: string, fragment: boolean): ParseOutcome {
  const choices = new Map<number, number>();
  let firstFailure: Extract<ParseOutcome, { ok: false }> | undefined;
  const slotCount = renderSnippet(snippet, choices).slots.length;
  const maxAttempts = Math.min(1 + slotCount * 4, 40);
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const rendered = renderSnippet(snippet, choices, wrapper);
    try {
      return { ok: true, result: parseSync(rendered.sql.text), rendered, fragment };
    } catch (err) {
      const cursorByte = errorCursor(err);
      const cursor = rendered.sql.indexOfByte(cursorByte);
      firstFailure ??= {
        ok: false,
        message: (err as Error)?.message ?? String(err),
        fileOffset: rendered.sql.fileOffset(cursor),
        fragment,
      };
      const slot = rendered.slots
        .filter((s) => s.sqlStart <= cursor && s.choice + 1 < s.choices)
        .at(-1);
      if (!slot) break;
      choices.set(slot.id, slot.choice + 1);
    }
  }
  return firstFailure as ParseOutcome;
}

function errorCursor(err: unknown): number {
  const details = (err as { sqlDetails?: { cursorPosition?: number } })?.sqlDetails;
  return typeof details?.cursorPosition === 'number' && details.cursorPosition >= 0
    ? details.cursorPosition
    : 0;
}

/**
 * One source file → the SQL it contains, parsed, with every table reference
 * located at file:line:col. Shared by the guard and the inventory; SQL that does
 * not parse becomes a warning with its location, never silence.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type ts from 'typescript';
import { loadSqlParser, parseSnippet } from './parseSnippet.js';
import type { Snippet } from './snippet.js';
import { statementSnippets, wholeFileSnippet } from './sqlFile.js';
import { lineColumnOf } from './sqlText.js';
import { SYNTHETIC_NAME_PREFIX, tableRefs, type TableRef } from './tableRefs.js';
import { findSnippets, parseSourceFile } from './tsSnippets.js';
import type { ScanWarning } from './warnings.js';

export interface LocatedRef extends TableRef {
  offset: number;
  line: number;
  column: number;
  /** The name was made up for a `${…}` interpolation: the real table is only known at run time. */
  dynamic: boolean;
}

/** The references of one piece of SQL, with the source node it was found at (TS/JS files only). */
export interface SqlUnit {
  refs: LocatedRef[];
  node?: ts.Node;
  line: number;
}

export interface FileScan {
  file: string;
  text: string;
  sourceFile?: ts.SourceFile;
  units: SqlUnit[];
  warnings: ScanWarning[];
}

/** Reads and scans one file; a file that cannot be read gives a warning, not an exception. */
export async function scanFile(absolute: string, display: string): Promise<FileScan> {
  let text: string;
  try {
    text = await fs.readFile(absolute, 'utf8');
  } catch (err) {
    return {
      file: display,
      text: '',
      units: [],
      warnings: [{ file: display, message: `cannot read file: ${(err as Error).message}` }],
    };
  }
  await loadSqlParser();
  return scanText(display, text);
}

/** Scans file contents (the parser must be loaded: `await loadSqlParser()`). */
export function scanText(file: string, text: string): FileScan {
  const position = lineColumnOf(text);
  const scan: FileScan = { file, text, units: [], warnings: [] };
  const addSnippet = (snippet: Snippet, skip?: Set<ts.Node>): boolean => {
    if (skip && snippet.node && skip.has(snippet.node)) return true;
    const outcome = parseSnippet(snippet);
    if (!outcome) return true;
    if (!outcome.ok) {
      if (snippet.quiet) return true;
      const at = position(outcome.fileOffset);
      const what = outcome.fragment ? 'SQL fragment' : 'SQL';
      scan.warnings.push({ file, ...at, message: `could not parse ${what}: ${outcome.message}` });
      return false;
    }
    for (const node of outcome.rendered.inlined) skip?.add(node);
    const refs = tableRefs(outcome.result).map((ref) => {
      const offset = skipWhitespace(text, outcome.rendered.sql.fileOffsetOfByte(ref.location));
      return {
        ...ref,
        offset,
        ...position(offset),
        dynamic: ref.table.includes(SYNTHETIC_NAME_PREFIX),
      };
    });
    scan.units.push({ refs, node: snippet.node, line: position(snippet.fileStart).line });
    return true;
  };

  if (path.extname(file).toLowerCase() === '.sql') {
    if (!addSnippet(wholeFileSnippet(text))) {
      const statements = statementSnippets(text);
      if (statements) {
        scan.warnings.length = 0;
        for (const snippet of statements) addSnippet(snippet);
      }
    }
    return scan;
  }
  const sourceFile = parseSourceFile(file, text);
  scan.sourceFile = sourceFile;
  const inlined = new Set<ts.Node>();
  for (const snippet of findSnippets(sourceFile)) addSnippet(snippet, inlined);
  return scan;
}

/** Statement-level locations may point at leading whitespace; findings point at the first word. */
function skipWhitespace(text: string, offset: number): number {
  let at = offset;
  while (at < text.length && /\s/.test(text[at] as string)) at++;
  return at;
}

/**
 * SQL in `.sql` files. The whole file is parsed at once; when that fails (a psql
 * meta-command, COPY data, one broken statement), it is split into statements
 * with the PostgreSQL scanner and each is parsed on its own, so one bad
 * statement yields one warning and the rest is still checked.
 */
import { scanSync } from 'libpg-query';
import { SqlTextBuilder } from './sqlText.js';
import type { Snippet } from './snippet.js';

export function wholeFileSnippet(text: string): Snippet {
  return { parts: [{ kind: 'source', text, fileStart: 0 }], fileStart: 0, mayBeFragment: false };
}

/** One snippet per `;`-separated statement; undefined when even the scanner fails (an unterminated quote). */
export function statementSnippets(text: string): Snippet[] | undefined {
  let tokens: Array<{ start: number; end: number; text: string }>;
  try {
    tokens = scanSync(text).tokens;
  } catch {
    return undefined;
  }
  const builder = new SqlTextBuilder();
  builder.appendSource(text, 0);
  const index = builder.build();
  const snippets: Snippet[] = [];
  let start = 0;
  const cut = (endByte: number): void => {
    const from = index.indexOfByte(start);
    const to = index.indexOfByte(endByte);
    const piece = text.slice(from, to);
    if (piece.trim() !== '')
      snippets.push({
        parts: [{ kind: 'source', text: piece, fileStart: from }],
        fileStart: from,
        mayBeFragment: false,
      });
  };
  for (const token of tokens) {
    if (token.text !== ';') continue;
    cut(token.end);
    start = token.end;
  }
  cut(Buffer.byteLength(text, 'utf8'));
  return snippets;
}

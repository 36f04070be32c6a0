/**
 * The text of a JavaScript string or template piece as the program sees it, with
 * the source offset of every character. Escapes (`\n`, `\``, `\u00e9`) make the
 * two differ, and a finding must point at the character in the file.
 */

export interface LiteralText {
  text: string;
  /** offsets[i] = offset of text[i] within the raw source piece. */
  offsets?: number[];
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

/** Decodes the raw source of a literal piece (without its quotes or backticks). */
export function decodeLiteral(raw: string): LiteralText {
  if (!raw.includes('\\')) return { text: raw };
  let text = '';
  const offsets: number[] = [];
  let i = 0;
  while (i < raw.length) {
    const ch = raw[i] as string;
    if (ch !== '\\') {
      text += ch;
      offsets.push(i);
      i++;
      continue;
    }
    const { value, length } = decodeEscape(raw, i + 1);
    for (let k = 0; k < value.length; k++) offsets.push(i);
    text += value;
    i += 1 + length;
  }
  return { text, offsets };
}

function decodeEscape(raw: string, at: number): { value: string; length: number } {
  const ch = raw[at] ?? '';
  if (ch in SIMPLE_ESCAPES) return { value: SIMPLE_ESCAPES[ch] as string, length: 1 };
  if (ch === '\r' && raw[at + 1] === '\n') return { value: '', length: 2 };
  if (ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029')
    return { value: '', length: 1 };
  if (ch === 'x') {
    const hex = raw.slice(at + 1, at + 3);
    return /^[0-9a-fA-F]{2}$/.test(hex)
      ? { value: String.fromCharCode(parseInt(hex, 16)), length: 3 }
      : { value: 'x', length: 1 };
  }
  if (ch === 'u') {
    const braced = /^\{([0-9a-fA-F]+)\}/.exec(raw.slice(at + 1));
    if (braced?.[1])
      return { value: String.fromCodePoint(parseInt(braced[1], 16)), length: 1 + braced[0].length };
    const hex = raw.slice(at + 1, at + 5);
    if (/^[0-9a-fA-F]{4}$/.test(hex))
      return { value: String.fromCharCode(parseInt(hex, 16)), length: 5 };
    return { value: 'u', length: 1 };
  }
  return { value: ch, length: ch.length };
}

/**
 * SQL reconstructed from source code, with a map back to the file.
 *
 * SQL found in a TypeScript file is assembled from pieces (template text, string
 * literal text, placeholders standing in for `${…}` interpolations). The parser
 * reports positions in the assembled text, in UTF-8 bytes; findings must point at
 * the file. Each piece remembers where it came from, so any position in the
 * assembled SQL maps back to a file offset.
 */

/** A piece of assembled SQL. `offsets[i]` is the file offset of text[i] when escapes make them differ. */
export interface SqlSegment {
  sqlStart: number;
  sqlEnd: number;
  fileStart: number;
  offsets?: number[];
  /** Text the scanner made up (placeholders, wrappers): it maps to the start of what it replaced. */
  synthetic: boolean;
}

export class SqlText {
  private byteIndex: number[] | undefined;

  constructor(
    readonly text: string,
    readonly segments: readonly SqlSegment[],
  ) {}

  /** File offset of the character at `index` in the assembled SQL. */
  fileOffset(index: number): number {
    const segment =
      this.segments.find((s) => index >= s.sqlStart && index < s.sqlEnd) ?? this.segments.at(-1);
    if (!segment) return 0;
    if (segment.synthetic) return segment.fileStart;
    const within = Math.min(
      Math.max(index - segment.sqlStart, 0),
      segment.sqlEnd - segment.sqlStart,
    );
    return segment.fileStart + (segment.offsets?.[within] ?? within);
  }

  /** Character index for a UTF-8 byte offset (what libpg-query reports). */
  indexOfByte(byteOffset: number): number {
    if (!/[\u0080-\uffff]/.test(this.text)) return byteOffset;
    this.byteIndex ??= utf8StartOffsets(this.text);
    let lo = 0;
    let hi = this.byteIndex.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.byteIndex[mid] ?? 0) <= byteOffset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** File offset for a parser location (UTF-8 bytes into the assembled SQL). */
  fileOffsetOfByte(byteOffset: number): number {
    return this.fileOffset(this.indexOfByte(byteOffset));
  }
}

/** byteStarts[i] = UTF-8 byte offset of UTF-16 code unit i (plus one entry for the end). */
function utf8StartOffsets(text: string): number[] {
  const starts: number[] = [];
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    starts.push(bytes);
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00) {
      // A surrogate pair is four bytes; its second half shares the pair's start.
      bytes += 4;
      starts.push(bytes - 4);
      i++;
    } else bytes += 3;
  }
  starts.push(bytes);
  return starts;
}

/** Accumulates segments while assembling SQL. */
export class SqlTextBuilder {
  private text = '';
  private readonly segments: SqlSegment[] = [];

  get length(): number {
    return this.text.length;
  }

  appendSource(text: string, fileStart: number, offsets?: number[]): void {
    this.push(text, fileStart, false, offsets);
  }

  appendSynthetic(text: string, fileStart: number): void {
    this.push(text, fileStart, true);
  }

  build(): SqlText {
    return new SqlText(this.text, this.segments);
  }

  private push(text: string, fileStart: number, synthetic: boolean, offsets?: number[]): void {
    if (text.length === 0) return;
    const sqlStart = this.text.length;
    this.text += text;
    this.segments.push({ sqlStart, sqlEnd: this.text.length, fileStart, synthetic, offsets });
  }
}

/** 1-based line and column of each offset in a text. */
export function lineColumnOf(text: string): (offset: number) => { line: number; column: number } {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
}

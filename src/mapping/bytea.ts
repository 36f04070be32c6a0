/**
 * bytea text → bytes. Postgres prints bytea in the form its `bytea_output`
 * setting names: `hex` (the default: `\x0aff`) or `escape` (printable ASCII as
 * is, a backslash doubled, other bytes as `\ooo` octal). Both are read, so a
 * session that changed the setting still maps to the same bytes.
 */
const HEX = /^\\x((?:[0-9a-fA-F]{2})*)$/;

/** The bytes of a bytea's text form, or null when the text is neither form. */
export function byteaToArrayBuffer(text: string): ArrayBuffer | null {
  const hex = HEX.exec(text);
  if (hex) return Uint8Array.from(Buffer.from(hex[1]!, 'hex')).buffer;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x5c) {
      if (code < 0x20 || code > 0x7e) return null;
      bytes.push(code);
    } else if (text[i + 1] === '\\') {
      bytes.push(0x5c);
      i += 1;
    } else {
      const octal = /^[0-3][0-7]{2}$/.exec(text.slice(i + 1, i + 4));
      if (!octal) return null;
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    }
  }
  return Uint8Array.from(bytes).buffer;
}

/** Lower-case hex of bytes (the canonical form's spelling of a bytes value). */
export function bytesToHex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('hex');
}

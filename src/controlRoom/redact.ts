/**
 * The last line of defence for "no response shows a secret": every control
 * room response body passes through here before it is sent. Known secrets
 * (API tokens, the Convex deploy key, the database URL and its password) are
 * replaced wherever they appear, as is anything shaped like a Postgres
 * connection string, so text an operator typed (a reason) or a stored error
 * that quotes one cannot leak it.
 */
export const REDACTED = '[redacted]';

const CONNECTION_STRING = /postgres(?:ql)?:\/\/[^\s"'\\]*/gi;

/** The secrets to hide, from the values the server was configured with (short strings are ignored: too common to be secrets). */
export function secretsOf(values: ReadonlyArray<string | null | undefined>): string[] {
  const out = new Set<string>();
  for (const value of values) {
    if (!value || value.length < 6) continue;
    out.add(value);
    try {
      const url = new URL(value);
      if (url.password && url.password.length >= 4) out.add(decodeURIComponent(url.password));
    } catch {
      // not a URL: the value itself is the secret
    }
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** Replaces the secrets in a JSON text (as they appear escaped inside JSON strings). */
export function redactJson(text: string, secrets: readonly string[]): string {
  let out = text.replace(CONNECTION_STRING, REDACTED);
  for (const secret of secrets) {
    const escaped = JSON.stringify(secret).slice(1, -1);
    out = out.split(escaped).join(REDACTED);
  }
  return out;
}

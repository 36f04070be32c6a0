/**
 * timestamptz and timestamp → milliseconds since the Unix epoch, a Convex
 * float64, with the microseconds kept as the fraction (`…123.456` is 123 ms
 * and 456 µs). A timestamp (without time zone) is read as if its wall clock
 * were UTC.
 *
 * Exact, not rounded: the value is the double nearest to µs / 1000, and the
 * mapping checks that millisToMicros (round(value × 1000)) gives the
 * microseconds back.
 * Whole milliseconds always do (up to ±285,000 years); sub-millisecond values
 * do within about ±140 years of 1970, and outside that a value whose
 * microseconds a double cannot carry is refused (rule `timestamp-precision`),
 * never rounded. `infinity` / `-infinity` map to ±Infinity.
 *
 * Accepted inputs: Postgres text in the JSON form to_jsonb prints
 * (`2024-01-02T03:04:05.123456+01:00`) or the ISO DateStyle form
 * (`2024-01-02 03:04:05.123456+01`), including offsets with seconds
 * (`+00:19:32`) and the ` BC` suffix; a Date or a number of milliseconds (what
 * node-postgres and JavaScript callers hold; whole milliseconds only).
 */
const TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?( BC)?$/;

const US_PER_DAY = 86_400_000_000n;

/** Microseconds since the epoch, ±Infinity, or null when the text is not a timestamp of that kind. */
export function parseTimestampMicros(text: string, zoned: boolean): bigint | number | null {
  if (text === 'infinity') return Infinity;
  if (text === '-infinity') return -Infinity;
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone, bc] = m;
  if ((zone !== undefined) !== zoned) return null;
  // Postgres prints 1 BC as "0001 ... BC": astronomical year 0.
  const year = bc ? 1 - Number(y) : Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const micros =
    BigInt(daysFromCivil(year, month, day)) * US_PER_DAY +
    BigInt(Number(h) * 3600 + Number(mi) * 60 + Number(s)) * 1_000_000n +
    BigInt((frac ?? '').padEnd(6, '0'));
  return micros - (zone ? zoneOffsetMicros(zone) : 0n);
}

/** The float64 milliseconds for an instant in microseconds, or null when a double cannot carry it exactly. */
export function microsToMillis(micros: bigint | number): number | null {
  if (typeof micros === 'number') return micros;
  const ms = micros % 1000n === 0n ? Number(micros / 1000n) : Number(micros) / 1000;
  return Number.isFinite(ms) && millisToMicros(ms) === micros ? ms : null;
}

/**
 * The inverse of microsToMillis, for anything that writes a mapped value back
 * to Postgres: whole milliseconds × 1000, else round(ms × 1000).
 */
export function millisToMicros(ms: number): bigint {
  return Number.isInteger(ms) ? BigInt(ms) * 1000n : BigInt(Math.round(ms * 1000));
}

/**
 * Epoch milliseconds of a timestamptz value (see the header), or null when the
 * input is not one or cannot be carried exactly.
 */
export function timestampToMillis(value: unknown, zoned = true): number | null {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : ms;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  if (typeof value !== 'string') return null;
  const micros = parseTimestampMicros(value, zoned);
  return micros === null ? null : microsToMillis(micros);
}

/**
 * The key text of a timestamptz key column: the instant in UTC as to_jsonb
 * prints a timestamp (`2024-01-02T03:04:05.5`, ` BC` years, `infinity`), so
 * the key does not depend on the writing session's TimeZone. Matches
 * `to_jsonb(col AT TIME ZONE 'UTC') #>> '{}'` (rowImageSql.keyTextSql).
 */
export function utcKeyText(value: unknown): string | null {
  let micros: bigint | number | null;
  if (value instanceof Date) micros = BigInt(value.getTime()) * 1000n;
  else if (typeof value === 'string') micros = parseTimestampMicros(value, true);
  else return null;
  if (micros === null) return null;
  if (typeof micros === 'number') return micros > 0 ? 'infinity' : '-infinity';
  const days = floorDiv(micros, US_PER_DAY);
  let rest = micros - days * US_PER_DAY;
  const [year, month, day] = civilFromDays(Number(days));
  const seconds = Number(rest / 1_000_000n);
  rest %= 1_000_000n;
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
  const frac = rest === 0n ? '' : `.${String(rest).padStart(6, '0').replace(/0+$/, '')}`;
  const shownYear = year > 0 ? year : 1 - year;
  return `${String(shownYear).padStart(4, '0')}-${two(month)}-${two(day)}T${time}${frac}${year > 0 ? '' : ' BC'}`;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function zoneOffsetMicros(zone: string): bigint {
  if (zone === 'Z') return 0n;
  const sign = zone.startsWith('-') ? -1n : 1n;
  const digits = zone.slice(1).replaceAll(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  const seconds = Number(digits.slice(4, 6) || '0');
  return sign * BigInt(hours * 3600 + minutes * 60 + seconds) * 1_000_000n;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar; no Date range limits. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Inverse of daysFromCivil: [astronomical year, month, day]. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

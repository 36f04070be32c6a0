/**
 * timestamptz → milliseconds since the Unix epoch (a Convex float64).
 *
 * Postgres keeps microseconds; Convex gets whole milliseconds, the
 * microseconds truncated (floor of the instant to the millisecond). That is
 * what node-postgres does when it turns timestamptz text into a Date, so a row
 * read with pg and the same row captured as to_jsonb text map to the same
 * number. `infinity` / `-infinity` map to ±Infinity (a valid Convex float64).
 *
 * Accepted inputs: a Date, a finite or infinite number (already ms), or
 * Postgres text in either the JSON form (`2024-01-02T03:04:05.123456+01:00`)
 * or the ISO DateStyle form (`2024-01-02 03:04:05.123456+01`), including
 * offsets with seconds (`+00:19:32`) and the ` BC` suffix.
 */
const TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)( BC)?$/;

const MS_PER_DAY = 86_400_000;

/** Returns the epoch milliseconds, or null when the input is not a timestamptz. */
export function timestampToMillis(value: unknown): number | null {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? null : ms;
  }
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  if (typeof value !== 'string') return null;
  if (value === 'infinity') return Infinity;
  if (value === '-infinity') return -Infinity;
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone, bc] = m;
  const yearNumber = Number(y);
  // Postgres prints 1 BC as "0001 ... BC": astronomical year 0.
  const year = bc ? 1 - yearNumber : yearNumber;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const millisOfDay =
    Number(h) * 3_600_000 +
    Number(mi) * 60_000 +
    Number(s) * 1000 +
    Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  return daysFromCivil(year, month, day) * MS_PER_DAY + millisOfDay - zoneOffsetMillis(zone!);
}

function zoneOffsetMillis(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replaceAll(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  const seconds = Number(digits.slice(4, 6) || '0');
  return sign * (hours * 3_600_000 + minutes * 60_000 + seconds * 1000);
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

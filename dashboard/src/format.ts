/** How numbers read on the page; `–` marks a figure the server does not have (null). */
const DASH = '–';
const counts = new Intl.NumberFormat('en-US');

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : counts.format(n);
}

/** A 0..1 ratio as a percentage with one decimal (99.9 %), never rounding a failure up to 100. */
export function ratio(r: number | null | undefined): string {
  if (r === null || r === undefined) return DASH;
  const tenths = Math.floor(r * 1000) / 10;
  return `${tenths.toFixed(1)} %`;
}

export function millis(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** An age in seconds as the largest two units (`1 h 5 min`, `42 s`). */
export function age(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return DASH;
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
  }
  return parts.filter((p) => !p.startsWith('0 ')).join(' ');
}

export function stage(stageName: string, percent: number | null | undefined): string {
  return stageName === 'convex-percent' && percent !== null && percent !== undefined
    ? `${stageName} ${percent} %`
    : stageName;
}

export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  const date = new Date(value);
  return Number.isNaN(date.getTime())
    ? String(value)
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

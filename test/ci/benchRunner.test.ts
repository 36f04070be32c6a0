/** scripts/bench.mjs (`npm run bench`): it knows every benchmark, and rewrites only its own section of BENCHMARKS.md. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { BEGIN, BENCHMARKS, END, cleanOutput, rewriteSection } from '../../scripts/bench.mjs';

const root = path.resolve(import.meta.dirname, '../..');
type Bench = { name: string; script: string; target: string; quick: string[] };

describe('npm run bench', () => {
  it('runs every benchmark in bench/, and each names its Convex target', () => {
    const onDisk = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.ts')).map((f) => `bench/${f}`).sort();
    const listed = (BENCHMARKS as Bench[]).map((b) => b.script).sort();
    expect(listed).toEqual(onDisk);
    for (const b of BENCHMARKS as Bench[]) expect(b.target.length, b.name).toBeGreaterThan(0);
  });

  it('replaces its generated section and nothing else', () => {
    const before = `# Benchmarks\n\nhand-written analysis\n\n${BEGIN}\nold figures\n${END}\n\n## Later section\n`;
    expect(rewriteSection(before, 'new figures')).toBe(`# Benchmarks\n\nhand-written analysis\n\n${BEGIN}\nnew figures\n${END}\n\n## Later section\n`);
  });

  it('appends the section when the file has none yet', () => {
    expect(rewriteSection('# Benchmarks\n\ntext\n', 'figures')).toBe(`# Benchmarks\n\ntext\n\n${BEGIN}\nfigures\n${END}\n`);
  });

  it('keeps what a terminal shows of progress bars and drops colours', () => {
    expect(cleanOutput('\x1b[32mok\x1b[0m\nrows 10%\rrows 50%\rrows 100%\n')).toBe('ok\nrows 100%');
  });
});

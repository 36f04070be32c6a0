#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`, which `npm ci` runs through
// the `prepare` script); no TypeScript loader at run time.
import fs from 'node:fs';
import v8 from 'node:v8';

// Memory over speed, so the CLI's peak RSS stays under 300 MB (BENCHMARKS.md):
// embedded PGlite is 9 MB of WebAssembly that V8's optimising tier compiles
// again into some 110 MB of resident machine code (the baseline tier alone is
// enough for the embedded default), and V8 otherwise lets the heap grow to
// several times what is live. Both flags take effect when set here, before any
// WebAssembly is compiled. Node started with such a flag of its own keeps its choice.
const V8_MEMORY_FLAGS = ['--liftoff-only', '--optimize-for-size'];
const ownFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
if (
  !ownFlags.some((flag) =>
    /^--(no-)?(liftoff|wasm|optimize-for-size|max-old-space-size|max-semi-space-size)/.test(flag),
  )
) {
  for (const flag of V8_MEMORY_FLAGS) v8.setFlagsFromString(flag);
}

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!fs.existsSync(main)) {
  process.stderr.write('tandem: the compiled CLI (dist/) is missing: run `npm run build` first\n');
  process.exit(2);
}
await import(main.href);

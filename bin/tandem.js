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
// WebAssembly is compiled. Node started with a flag of the same kind (on its
// command line or in NODE_OPTIONS) keeps its own choice.
// `convex-local` holds every document in memory and has its own memory figure:
// there --optimize-for-size's small heap made loading 1,000,000 documents 2.5×
// slower (BENCHMARKS.md, "Stand-in restart"), so it runs without it.
const ownFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const command = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const V8_MEMORY_FLAGS = [
  { flag: '--liftoff-only', unlessGiven: /^--(no-)?(liftoff|wasm)/ },
  { flag: '--optimize-for-size', unlessGiven: /^--(no-)?optimize-for-size/, notFor: 'convex-local' },
];
for (const { flag, unlessGiven, notFor } of V8_MEMORY_FLAGS) {
  if (command !== notFor && !ownFlags.some((own) => unlessGiven.test(own))) v8.setFlagsFromString(flag);
}

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!fs.existsSync(main)) {
  process.stderr.write('tandem: the compiled CLI (dist/) is missing: run `npm run build` first\n');
  process.exit(2);
}
await import(main.href);

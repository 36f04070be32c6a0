#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`, which `npm ci` runs through
// the `prepare` script); no TypeScript loader at run time.
import fs from 'node:fs';
import v8 from 'node:v8';

// Embedded PGlite is about 9 MB of WebAssembly; V8's optimising tier compiles
// its hot functions again into some 110 MB of resident machine code. The
// baseline tier alone keeps the CLI's peak RSS under 300 MB (BENCHMARKS.md);
// node started with a WebAssembly flag of its own keeps that choice.
const nodeFlags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
if (!nodeFlags.some((flag) => /^--(no-)?(liftoff|wasm)/.test(flag))) v8.setFlagsFromString('--liftoff-only');

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!fs.existsSync(main)) {
  process.stderr.write('tandem: the compiled CLI (dist/) is missing: run `npm run build` first\n');
  process.exit(2);
}
await import(main.href);

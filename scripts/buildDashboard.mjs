/**
 * Bundles the control-room page (dashboard/) into dist/dashboard with esbuild:
 * one script, one stylesheet (uPlot's CSS included) and index.html, all served
 * by the API itself (src/dashboard/serveDashboard.ts), so the page loads
 * nothing from elsewhere. The page is type-checked first (esbuild only strips
 * types), so a type error fails the build like one in src/ does.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

export async function buildDashboard(root) {
  const source = path.join(root, 'dashboard');
  const out = path.join(root, 'dist', 'dashboard');
  const tsc = require.resolve('typescript/bin/tsc');
  const checked = spawnSync(process.execPath, [tsc, '-p', path.join(source, 'tsconfig.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (checked.status !== 0)
    throw new Error(
      `tsc -p dashboard/tsconfig.json failed (exit ${checked.status ?? checked.signal})`,
    );
  fs.rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: { main: path.join(source, 'src', 'main.tsx') },
    outdir: out,
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'linked',
    logLevel: 'warning',
  });
  fs.copyFileSync(path.join(source, 'index.html'), path.join(out, 'index.html'));
}

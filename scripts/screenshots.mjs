#!/usr/bin/env node
/**
 * Takes the screenshots in docs/images/ that docs/dashboard.md shows
 * (`npm run screenshots`, after `npm run build`): runs the demo in this process
 * (fresh data under a temporary folder), makes the state worth looking at
 * through the same doors an operator uses (a value too large for Convex, so a
 * real dead letter; read stages moved through the control-room API), waits for
 * the sampler to record a few points, then photographs each view at a
 * desktop's and at a phone's width with Debian's chromium.
 *
 * Options: --out <dir> (default docs/images), --wait <seconds> of sampling
 * before the charts are taken (default 35).
 */
/* global fetch, setTimeout */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'dev-admin-token';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(root, 'docs/images') },
    wait: { type: 'string', default: '35' },
  },
});
if (!fs.existsSync(CHROMIUM)) {
  console.error(`screenshots: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(1);
}
if (!fs.existsSync(path.join(root, 'dist/dashboard/index.html'))) {
  console.error('screenshots: the page is not built; run npm run build first');
  process.exit(1);
}

const { startDemo } = await import(path.join(root, 'dist/src/cli/demo/runDemo.js'));
const { silentLogger } = await import(path.join(root, 'dist/src/log.js'));
// The story site, as `npm start` runs it: its config and the plug-in it names.
const { loadProjectConfig, requireApplication } = await import(path.join(root, 'dist/src/index.js'));
const project = await loadProjectConfig({ file: path.join(root, 'examples/story-site/tandem.config.json') });
const application = await requireApplication(project, 'demo', ['sample', 'http', 'demoTraffic']);

/** Desktop: every view, full page. Phone (375 px): the views an operator on call opens first. */
const SHOTS = [
  {
    size: 'desktop',
    viewport: { width: 1280, height: 800 },
    views: ['tables', 'charts', 'flags', 'dead-letters', 'history', 'checklist/story'],
  },
  { size: 'phone', viewport: { width: 375, height: 740 }, views: ['tables', 'charts', 'flags'] },
];

async function post(base, url, body) {
  const response = await fetch(`${base}${url}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-screenshots-'));
const demo = await startDemo({
  home,
  project,
  application,
  scale: 0.02,
  seed: 1,
  rounds: 2,
  host: '127.0.0.1',
  pgPort: 0,
  apiPort: 0,
  convexPort: 0,
  mirrorWaitMs: 500,
  log: silentLogger,
  out: () => {},
});
const base = new URL(demo.summary.urls.dashboard).origin;
const client = new pg.Client({ connectionString: demo.summary.urls.postgres });
try {
  await client.connect();
  // 1.2 M characters: more than a Convex document holds, so the relay dead-letters it.
  await client.query(
    `UPDATE story SET text = repeat('x', 1200000) WHERE id = (SELECT min(id) FROM story)`,
  );
  await post(base, '/api/control/flags/story', {
    stage: 'shadow',
    reason: 'compare reads before moving them',
  });
  await post(base, '/api/control/flags/language', { stage: 'shadow', reason: 'compare reads' });
  await post(base, '/api/control/flags/language', {
    stage: 'convex-percent',
    percent: 25,
    reason: 'ramp to a quarter of users',
  });
  console.log(`screenshots: sampling for ${values.wait} s`);
  await new Promise((r) => setTimeout(r, Number(values.wait) * 1000));

  fs.mkdirSync(values.out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    for (const { size, viewport, views } of SHOTS) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await page.fill('input[name=admin-token]', ADMIN);
      await page.click('button:has-text("Use token")');
      for (const view of views) {
        await page.goto(`${base}/#/${view}`);
        await page.waitForTimeout(1500);
        if (view === 'flags' && size === 'desktop') {
          await page
            .locator('[data-testid="flag-controls-story"] button:has-text("Rollback")')
            .click();
        }
        if (view === 'charts') {
          await page.click('button:has-text("15m")');
          await page.waitForTimeout(1000);
        }
        if (view === 'dead-letters') await page.locator('details summary').first().click();
        const file = path.join(values.out, `dashboard-${view.split('/')[0]}-${size}.png`);
        await page.screenshot({ path: file, fullPage: size === 'desktop' });
        console.log(`screenshots: ${path.relative(root, file)}`);
      }
      await context.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  await client.end().catch(() => {});
  await demo.stop();
  fs.rmSync(home, { recursive: true, force: true });
}

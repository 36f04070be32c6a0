/**
 * The control room in a real browser (Debian's chromium driven by
 * playwright-core) against the embedded stack `tandem dev` and `tandem demo`
 * run: PGlite over the wire protocol, the local Convex stand-in, the relay and
 * the API with the control room, all started by the CLI's own startServing.
 * The one stand-in is a switch in front of the Convex target that makes its
 * applies fail on demand, to produce a dead letter the way a failing Convex
 * function does.
 *
 * A second schema (examples/film-rental, no config) checks that the page shows
 * whatever tables are mirrored.
 *
 * Skipped, saying why, only when /usr/bin/chromium is missing (never downloads a browser).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSample } from '../../examples/story-site/src/app/sample/generateSample.js';
import { loadStorySiteConfig } from '../../examples/story-site/src/app/schema.js';
import { STORY_SITE_CONVEX_DIR } from '../../examples/story-site/src/storySiteRoot.js';
import storySite from '../../examples/story-site/src/plugin.js';
import { DEV_TOKENS } from '../../src/cli/commands/dev.js';
import { startApiStack, type RunningApi } from '../../src/cli/apiStack.js';
import {
  startEmbeddedStores,
  startServing,
  type EmbeddedStores,
  type Serving,
} from '../../src/cli/embeddedStack.js';
import type { ApplyResult, TransactionBatch } from '../../src/index.js';
import {
  backfill,
  DEFAULT_PROJECT_CONFIG,
  discoverMirror,
  installCapture,
  listDeadLetters,
  migrate,
  type MirrorConfig,
} from '../../src/index.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `test/dashboard/browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`,
  );
const ADMIN = 'dev-admin-token';
/** The page must show a change within 2 s (SSE checked every second); a loaded CI machine gets some slack. */
const LIVE_MS = 4_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A page that records every request it makes and every error it logs. */
async function openPage(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  return { page, requests, errors };
}

async function overviewTables(page: Page, count: number): Promise<string[]> {
  const rows = page.locator('[data-testid=overview] tbody tr[data-table]');
  await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(count);
  return rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-table')!));
}

function cell(page: Page, table: string, column: string) {
  return page.locator(`[data-testid=overview] tr[data-table="${table}"] td[data-col="${column}"]`);
}

async function useToken(page: Page, token: string): Promise<void> {
  await page.fill('input[name=admin-token]', token);
  await page.click('button:has-text("Use token")');
  await page.waitForSelector('[data-testid=token-state]');
}

describe.skipIf(!hasChromium)(
  'control room in a browser: story site on the embedded stack [pglite]',
  () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-browser-'));
    let stores: EmbeddedStores;
    let serving: Serving;
    let mirror: MirrorConfig;
    let browser: Browser;
    let base: string;
    /** While set, every apply the relay sends fails as a Convex function error would. */
    let convexFails = false;

    const api = async (method: string, url: string, token: string | null, body?: unknown) => {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const response = await fetch(`${base}${url}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    const stageInDb = async (table: string) =>
      (
        await stores.pool.query<{ stage: string }>(
          'SELECT stage FROM tandem.read_flag WHERE table_name = $1',
          [table],
        )
      ).rows[0]?.stage ?? 'postgres';

    beforeAll(async () => {
      stores = await startEmbeddedStores({
        pgDataDir: path.join(home, 'pgdata'),
        convexDataDir: path.join(home, 'convex'),
        host: '127.0.0.1',
        pgPort: 0,
        convexPort: 0,
        log: silentLogger,
        convexDir: STORY_SITE_CONVEX_DIR,
      });
      await migrate(stores.pool, DEFAULT_TOOL_SCHEMA);
      await generateSample(stores.pool, { scale: 0.01, seed: 5 });
      ({ mirror } = await discoverMirror(stores.pool, await loadStorySiteConfig()));
      await installCapture(stores.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: mirror.tables.map((t) => t.name), mirror });
      await backfill(stores.pool, DEFAULT_TOOL_SCHEMA, stores.target, { config: mirror, log: silentLogger });
      const real = stores.target;
      const switchable = new Proxy(real, {
        get(target, property, receiver) {
          if (property === 'applyBatch') {
            return async (batches: TransactionBatch[]): Promise<ApplyResult> => {
              if (convexFails)
                throw new Error('Uncaught Error: applyBatch threw (injected by the test)');
              return target.applyBatch(batches);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === 'function'
            ? (value as (...a: unknown[]) => unknown).bind(target)
            : value;
        },
      });
      serving = await startServing(
        { ...stores, target: switchable },
        { tool: DEFAULT_TOOL_SCHEMA,
          application: storySite,
          mirror,
          tokens: DEV_TOKENS,
          port: 0,
          host: '127.0.0.1',
          mirrorWaitMs: 200,
          log: silentLogger,
          // One failed attempt is enough for a dead letter, and retries come quickly.
          relay: { retry: { budget: 1, baseDelayMs: 10, maxDelayMs: 50 } },
        },
      );
      base = serving.api.url;
      browser = await launch();
    });

    afterAll(async () => {
      await browser?.close();
      await serving?.stop();
      await stores?.stop();
      fs.rmSync(home, { recursive: true, force: true });
    });

    it('loads from this server alone and shows every mirrored table', async () => {
      const context = await browser.newContext();
      const { page, requests, errors } = await openPage(context, `${base}/`);
      expect(await overviewTables(page, mirror.tables.length)).toEqual(
        mirror.tables.map((t) => t.name),
      );
      await expect
        .poll(() => page.textContent('[data-testid=live-status]'), { timeout: 10_000 })
        .toBe('live');
      // Every figure of the overview is a column.
      const headers = await page.locator('[data-testid=overview] thead th').allTextContents();
      expect(headers).toEqual([
        'Table',
        'Phase',
        'Read stage',
        'Rows Postgres / Convex',
        'Success (5 min)',
        'Latency p50 / p99',
        'Outbox pending',
        'Retry queue',
        'Dead letters',
        'Drift',
        'Parity streak',
        'Untracked writes',
        'Alerts firing',
      ]);
      const counts = await stores.pool.query<{ n: string }>('SELECT count(*) AS n FROM story');
      await expect
        .poll(() => cell(page, 'story', 'Rows Postgres / Convex').textContent(), {
          timeout: 15_000,
        })
        .toMatch(new RegExp(`^${Number(counts.rows[0]!.n).toLocaleString('en-US')} / `));
      // Nothing from a CDN or anywhere else: the page, its bundle, and the API.
      expect(requests.length).toBeGreaterThan(2);
      expect(requests.filter((url) => !url.startsWith(`${base}/`))).toEqual([]);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('shows a write made through the API live, without a reload', async () => {
      const context = await browser.newContext();
      const { page, errors } = await openPage(context, `${base}/`);
      await overviewTables(page, mirror.tables.length);
      await expect
        .poll(() => page.textContent('[data-testid=live-status]'), { timeout: 10_000 })
        .toBe('live');
      // Nothing applied to `language` since the backfill: no success rate, no latency yet.
      expect(await cell(page, 'language', 'Success (5 min)').textContent()).toBe('–');
      let navigations = 0;
      page.on('framenavigated', () => (navigations += 1));
      const created = await api('POST', '/api/languages', ADMIN, {
        name: 'Browser test',
        short: 'bt',
      });
      expect(created.status).toBe(201);
      await expect
        .poll(() => cell(page, 'language', 'Success (5 min)').textContent(), {
          timeout: LIVE_MS,
          interval: 100,
        })
        .toBe('100.0 %');
      expect(await cell(page, 'language', 'Latency p50 / p99').textContent()).toMatch(
        /^[\d.]+ m?s \/ [\d.]+ m?s$/,
      );
      expect(navigations).toBe(0);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('falls back to polling when the event stream is refused, and still follows writes', async () => {
      const context = await browser.newContext();
      await context.route('**/api/control/events', (route) => route.abort());
      const { page } = await openPage(context, `${base}/`);
      await overviewTables(page, mirror.tables.length);
      await expect
        .poll(() => page.textContent('[data-testid=live-status]'), { timeout: 10_000 })
        .toBe('polling (event stream down)');
      const shown = async () =>
        (await cell(page, 'language', 'Rows Postgres / Convex').textContent())!.split(' / ')[0];
      const created = await api('POST', '/api/languages', ADMIN, { name: 'Polled', short: 'pl' });
      expect(created.status).toBe(201);
      const count = await stores.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM language',
      );
      // Postgres row counts are reused for up to 5 s by the server; polling runs every 2 s.
      await expect
        .poll(shown, { timeout: 15_000, interval: 250 })
        .toBe(count.rows[0]!.n.toLocaleString('en-US'));
      await context.close();
    });

    it('rolls a table back in two clicks: the page and the database show postgres', async () => {
      const moved = await api('POST', '/api/control/flags/story', ADMIN, {
        stage: 'shadow',
        reason: 'browser test',
      });
      expect(moved.status).toBe(200);
      expect(await stageInDb('story')).toBe('shadow');
      const context = await browser.newContext();
      const { page, errors } = await openPage(context, `${base}/#/flags`);
      await useToken(page, ADMIN);
      const row = page.locator('[data-testid=flags] tr[data-table="story"]');
      await expect
        .poll(() => row.locator('td[data-col=stage]').textContent(), { timeout: 10_000 })
        .toBe('shadow');
      await row.locator('button:has-text("Rollback")').click();
      // The first click only asks: it names the table and the stage it leaves, and changes nothing.
      const confirm = row.locator('[role=alertdialog]');
      expect(await confirm.locator('p').textContent()).toBe(
        'Roll back story from shadow to postgres? Every read of story goes to Postgres at once.',
      );
      expect(await stageInDb('story')).toBe('shadow');
      await confirm.locator('button:has-text("Confirm rollback")').click();
      await expect
        .poll(() => row.locator('td[data-col=stage]').textContent(), { timeout: LIVE_MS })
        .toBe('postgres');
      expect(await stageInDb('story')).toBe('postgres');
      const history = await stores.pool.query<{ to_stage: string; actor: string }>(
        `SELECT to_stage, actor FROM tandem.read_flag_history WHERE table_name = 'story' ORDER BY id DESC LIMIT 1`,
      );
      expect(history.rows[0]?.to_stage).toBe('postgres');
      expect(history.rows[0]?.actor).toContain('user 3');
      // The overview follows too.
      await page.click('a:has-text("Tables")');
      await expect
        .poll(() => cell(page, 'story', 'Read stage').textContent(), { timeout: LIVE_MS })
        .toBe('postgres');
      // The token is never shown on the page.
      expect(await page.content()).not.toContain(ADMIN);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('retries a dead letter from the page, and the change reaches Convex', async () => {
      convexFails = true;
      const created = await api('POST', '/api/avatars', ADMIN, {
        link: 'https://example.org/browser.png',
        name: 'Browser avatar',
      });
      expect(created.status).toBe(201);
      const avatarId = (created.body as { id: number }).id;
      await expect
        .poll(async () => (await listDeadLetters(stores.pool, DEFAULT_TOOL_SCHEMA)).map((d) => d.table), {
          timeout: 15_000,
        })
        .toEqual(['avatar']);
      const [dead] = await listDeadLetters(stores.pool, DEFAULT_TOOL_SCHEMA);
      convexFails = false; // the cause is fixed; now the operator retries

      const context = await browser.newContext();
      const { page, errors } = await openPage(context, `${base}/#/dead-letters`);
      const card = page.locator(`[data-testid="dead-letter-${dead!.id}"]`);
      await card.waitFor();
      expect(await card.locator('.reason').textContent()).toContain('retry budget of 1 spent');
      expect(await card.locator('button:has-text("Retry")').isDisabled()).toBe(true);
      await useToken(page, ADMIN);
      await card.locator('summary').click();
      expect(JSON.parse((await card.locator('pre').textContent())!)).toMatchObject({
        id: avatarId,
        name: 'Browser avatar',
      });
      await card.locator('button:has-text("Retry")').click();
      await page.waitForSelector('[data-testid=no-dead-letters]');
      const resolved = await listDeadLetters(stores.pool, DEFAULT_TOOL_SCHEMA, { includeResolved: true });
      expect(resolved.map((d) => [d.id, d.resolution])).toEqual([[dead!.id, 'retried']]);
      // The relay applies it this time: the avatar is in Convex.
      await expect
        .poll(
          async () =>
            (await stores.target.exportPage('avatar', null, 1000)).page.some(
              (r) => r.key === String(avatarId),
            ),
          { timeout: 15_000 },
        )
        .toBe(true);
      const audit = await stores.pool.query<{ actor: string }>(
        `SELECT actor FROM tandem.audit_log WHERE action = 'dlq.retry'`,
      );
      expect(audit.rows.map((r) => r.actor)).toEqual([expect.stringContaining('user 3')]);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('without a token the controls are off, and a change is refused with 401 and changes nothing', async () => {
      await api('POST', '/api/control/flags/course', ADMIN, {
        stage: 'shadow',
        reason: 'browser test',
      });
      const auditBefore = (
        await stores.pool.query('SELECT count(*)::int AS n FROM tandem.audit_log')
      ).rows[0].n as number;
      const historyBefore = (
        await stores.pool.query('SELECT count(*)::int AS n FROM tandem.read_flag_history')
      ).rows[0].n as number;
      const context = await browser.newContext();
      const { page } = await openPage(context, `${base}/#/flags`);
      await page.waitForSelector('[data-testid=read-only]');
      const controls = page.locator('[data-testid="flag-controls-course"]');
      await controls.waitFor();
      expect(await controls.locator('button:has-text("Rollback")').isDisabled()).toBe(true);
      expect(await controls.locator('button:has-text("Set stage")').isDisabled()).toBe(true);

      // The page's own origin, no Authorization header: refused.
      const status = await page.evaluate(async () => {
        const response = await fetch('/api/control/flags/course/rollback', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'no token' }),
        });
        return response.status;
      });
      expect(status).toBe(401);

      // A token the server does not know: the page shows the refusal.
      await useToken(page, 'not-a-real-token');
      await controls.locator('button:has-text("Rollback")').click();
      await controls.locator('button:has-text("Confirm rollback")').click();
      const error = controls.locator('[role=alert]');
      await error.waitFor();
      expect(await error.textContent()).toMatch(
        /^POST \/api\/control\/flags\/course\/rollback: 401 /,
      );

      expect(await stageInDb('course')).toBe('shadow');
      expect(
        (await stores.pool.query('SELECT count(*)::int AS n FROM tandem.audit_log')).rows[0].n,
      ).toBe(auditBefore);
      expect(
        (await stores.pool.query('SELECT count(*)::int AS n FROM tandem.read_flag_history')).rows[0]
          .n,
      ).toBe(historyBefore);
      await context.close();
    });
  },
);

describe.skipIf(!hasChromium)('control room in a browser: film rental, no config [pglite]', () => {
  let db: TestDatabase;
  let served: RunningApi;
  let browser: Browser;
  let mirror: MirrorConfig;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    const example = path.join(root, 'examples/film-rental');
    await db.pool.query(fs.readFileSync(path.join(example, 'schema.sql'), 'utf8'));
    await db.pool.query(fs.readFileSync(path.join(example, 'seed.sql'), 'utf8'));
    await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
    ({ mirror } = await discoverMirror(db.pool, DEFAULT_PROJECT_CONFIG));
    await installCapture(db.pool, { tool: DEFAULT_TOOL_SCHEMA, tables: mirror.tables.map((t) => t.name), mirror });
    served = await startApiStack({ tool: DEFAULT_TOOL_SCHEMA,
      pool: db.pool,
      tokens: {},
      logger: silentLogger,
      port: 0,
      host: '127.0.0.1',
      controlRoom: { mirror, secrets: [] },
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await served?.app.close();
    await db?.close();
  });

  it('shows every table of the second schema', async () => {
    const context = await browser.newContext();
    const { page, errors } = await openPage(context, `${served.url}/`);
    const shown = await overviewTables(page, mirror.tables.length);
    expect(shown).toEqual(mirror.tables.map((t) => t.name));
    expect(shown).toContain('film');
    expect(shown).toContain('payment');
    expect(errors).toEqual([]);
    await context.close();
  });
});

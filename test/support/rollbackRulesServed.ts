/**
 * Whether a running stack (`tandem dev`, `demo`) runs the project config's
 * automatic read rollback rules: with a rule `deadLetters` above 0 for
 * `language` in the config, the table is set to `shadow`, a dead letter for it
 * is written, and the stack must set it back to `postgres` on its own, naming
 * the rule. A stack started without the rules leaves it at `shadow`.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { RollbackPolicy } from '../../src/config/projectConfig.js';
import { DEFAULT_TOOL_SCHEMA as TOOL } from '../../src/core/toolSchema.js';
import { listReadStages, readStageHistory, setReadStage } from '../../src/cutover/flagStore.js';
import { waitFor } from './services.js';
import { STORY_SITE_TABLE_NAMES } from './storySiteMirror.js';

export const ROLLBACK_TABLE = 'language';
/** The rule as the config file states it (`cutover.rollback`). */
export const ROLLBACK_CONFIG = { tables: { [ROLLBACK_TABLE]: { deadLetters: { threshold: 0 } } } };
/** The same rule as the loaded project config holds it. */
export const ROLLBACK_POLICY: RollbackPolicy = {
  default: {},
  tables: { [ROLLBACK_TABLE]: { deadLetters: { threshold: 0, forMs: 0, minSamples: 10 } } },
  windowSeconds: 60,
};

const site = path.resolve(import.meta.dirname, '../../examples/story-site');

/**
 * The story site's config written to `dir` with its paths made absolute (so a
 * CLI started there finds the plug-in, invariants and Convex folder) and
 * `cutover` replaced; returns the file.
 */
export function writeStorySiteConfig(dir: string, cutover: unknown): string {
  const siteConfig = JSON.parse(fs.readFileSync(path.join(site, 'tandem.config.json'), 'utf8')) as Record<string, unknown>;
  const file = path.join(dir, 'tandem.config.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      ...siteConfig,
      app: path.join(site, 'src/plugin.ts'),
      invariants: [path.join(site, 'src/app/invariants/suite.ts')],
      convex: { dir: path.join(site, 'convex') },
      cutover,
    }),
  );
  return file;
}

/** Resolves to the automatic rollback's audit rows for the table once it happened; throws after `timeoutMs`. */
export async function autoRollbackOnDeadLetter(postgresUrl: string, timeoutMs = 15_000) {
  const pool = new pg.Pool({ connectionString: postgresUrl, max: 2 });
  try {
    await setReadStage(pool, TOOL, STORY_SITE_TABLE_NAMES, { table: ROLLBACK_TABLE, stage: 'shadow', why: 'test', actor: 'test' });
    await pool.query(
      `INSERT INTO ${TOOL.sql}.dead_letter (seq, txid, table_name, key, op, reason)
       VALUES (1, pg_current_xact_id(), $1, '1', 'update', 'planted by the test')`,
      [ROLLBACK_TABLE],
    );
    const stage = async () => (await listReadStages(pool, TOOL, [ROLLBACK_TABLE])).find((s) => s.table === ROLLBACK_TABLE)?.stage;
    await waitFor(`${ROLLBACK_TABLE} rolled back by the stack`, async () => (await stage()) === 'postgres', timeoutMs);
    return (await readStageHistory(pool, TOOL, ROLLBACK_TABLE))
      .filter((h) => h.actor === 'tandem auto-rollback')
      .map((h) => ({ rule: h.rule, from: h.from.stage, to: h.to.stage }));
  } finally {
    await pool.end();
  }
}

import {
  createLogger,
  createRelayMetrics,
  HttpConvexTarget,
  installCapture,
  loadConfig,
  migrate,
  mirrorMapper,
  MirrorRunner,
  openDatabase,
  Relay,
  runParity,
  backfill,
} from '../src/index.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const db = await openDatabase(config);
const target = new HttpConvexTarget({ url: config.convexUrl!, adminKey: config.convexDeployKey!, skipQueue: true });

await migrate(db.pool); // the tool's own schema
await installCapture(db.pool); // capture triggers on the mirrored tables

const metrics = createRelayMetrics();
const relay = new Relay({ pool: db.pool, target, mapper: mirrorMapper(), metrics, log });
const mirror = new MirrorRunner(db.pool, relay, metrics, log, { waitMs: config.mirrorWaitMs });

// An application write: one Postgres transaction; its changes reach Convex
// within the bounded wait, or the relay delivers them later.
await mirror.run('rename-course', (tx) =>
  tx.query('UPDATE course SET name = $1 WHERE id = $2', ['Spanish for travellers', 3]),
);

await backfill(db.pool, target, { log }); // existing rows, behind live capture
const report = await runParity(db.pool, target, { mode: 'full' });
log.info({ clean: report.clean }, 'parity');
await db.close();

export {};

/**
 * The embedded default: PGlite (Postgres compiled to WASM) persisted on disk and
 * served over the Postgres wire protocol, so every part of the toolkit talks to it
 * through the same node-postgres client it uses for a real server.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { pgliteInitdbParams, pgliteStartParams, seedFromTemplate } from './pgliteDataDir.js';
import { fixWireQueue } from './pgliteWireQueue.js';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory holding PGlite's files; `memory://` keeps everything in memory. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxConnections?: number;
  /** Postgres `shared_buffers` (default PGLITE_SHARED_BUFFERS): resident memory, see pgliteDataDir.ts. */
  sharedBuffers?: string;
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const { dataDir, host = '127.0.0.1', port = 0, maxConnections = 64, sharedBuffers } = options;
  if (dataDir !== 'memory://') {
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
    seedFromTemplate(dataDir);
  }
  const db = await PGlite.create(dataDir, {
    startParams: pgliteStartParams(PGlite.defaultStartParams, sharedBuffers),
    initDbStartParams: pgliteInitdbParams(sharedBuffers),
  });
  const server = new PGLiteSocketServer({ db, host, port, maxConnections });
  fixWireQueue(server);
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  const actualPort = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@${host}:${actualPort}/postgres`,
    port: actualPort,
    dataDir,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

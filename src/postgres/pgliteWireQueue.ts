/**
 * A correction to @electric-sql/pglite-socket's query queue (0.2.x), applied to
 * each server we start.
 *
 * PGlite runs one statement at a time, so the socket server queues protocol
 * messages from all connections and keeps a connection's turn only while it
 * has a transaction open. node-postgres sends a parameterized query as several
 * messages (Parse, Bind, Describe, Execute, Sync) that share one unnamed
 * portal; outside a transaction another connection's messages could be run
 * between them and replace that portal ("portal "" cannot be run"). Here a
 * connection keeps its turn from its first extended-protocol message until its
 * Sync as well. Also, a failed message no longer stalls the queue for good.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: unknown) => void;
}

interface QueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

/** Frontend message types of the extended query protocol that must run up to their Sync undisturbed. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);
const SIMPLE_QUERY = 'Q'.charCodeAt(0);

export function fixWireQueue(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue?: QueueInternals }).queryQueue;
  if (!queue || !Array.isArray(queue.queue)) {
    throw new Error('pglite-socket internals changed: review src/postgres/pgliteWireQueue.ts');
  }
  let inExtended = false;

  const next = (): QueuedMessage | undefined => {
    const sticky = (inExtended || queue.db.isInTransaction()) && queue.lastHandlerId !== null;
    if (!sticky) return queue.queue.shift();
    const index = queue.queue.findIndex((m) => m.handlerId === queue.lastHandlerId);
    return index === -1 ? undefined : queue.queue.splice(index, 1)[0];
  };

  queue.processQueue = async function processQueue(): Promise<void> {
    if (queue.processing) return;
    queue.processing = true;
    try {
      for (let item = next(); item; item = next()) {
        let bytes = 0;
        const type = item.message[0]!;
        try {
          await queue.db.runExclusive(() =>
            queue.db.execProtocolRawStream(item!.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                item!.onData(data);
              },
            }),
          );
        } catch (err) {
          item.reject(err);
          continue;
        } finally {
          queue.lastHandlerId = item.handlerId;
          if (EXTENDED.has(type)) inExtended = true;
          else if (type === SYNC || type === SIMPLE_QUERY) inExtended = false;
        }
        item.resolve(bytes);
      }
    } finally {
      queue.processing = false;
    }
  };

  const clearTransaction = queue.clearTransactionIfNeeded.bind(queue);
  queue.clearTransactionIfNeeded = async (handlerId: number) => {
    // A connection that left mid-sequence must not keep the turn.
    if (queue.lastHandlerId === handlerId) inExtended = false;
    await clearTransaction(handlerId);
    await queue.processQueue();
  };
}

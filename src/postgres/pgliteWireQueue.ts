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
 *
 * And a large message is put together once: the handler appends each socket
 * chunk to what it holds by copying both into a new buffer, so a 5 MB INSERT
 * arriving in 64 KB chunks allocated some 200 MB of short-lived buffers; the
 * C allocator's heap grew by 35-65 MB and kept it (`tandem sample` with 8 MB
 * statements: 280-315 MiB peak before, 252-260 after; BENCHMARKS.md, CLI memory).
 */
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketServer } from '@electric-sql/pglite-socket';

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
  reassembleLargeMessages();
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

interface HandlerInternals {
  messageBuffer: Buffer;
  handleData(data: Buffer): Promise<number>;
}

/** A message longer than what has arrived of it: its chunks so far. */
interface PartialMessage {
  chunks: Buffer[];
  bytes: number;
  length: number;
}

/** Below this a message is left to the handler's own appending (copies of small buffers cost little). */
const REASSEMBLE_FROM_BYTES = 256 * 1024;

/**
 * The full length of the regular message (type byte, then its length) that
 * starts `held` followed by `data`; 0 while its header has not all arrived or
 * when it is a startup, SSL or cancel request (no type byte: its first byte
 * is the high byte of a small length, 0).
 */
export function messageLength(held: Uint8Array, data: Uint8Array): number {
  if (held.length + data.length < 5) return 0;
  const at = (i: number) => (i < held.length ? held[i]! : data[i - held.length]!);
  if (at(0) === 0) return 0;
  return 1 + ((at(1) << 24) | (at(2) << 16) | (at(3) << 8) | at(4)) >>> 0;
}

const partials = new WeakMap<HandlerInternals, PartialMessage>();
let handlerPatched = false;

/**
 * Holds back the chunks of a large message until all of it has arrived, then
 * hands them to the handler as one buffer: one copy instead of one per chunk.
 */
function reassembleLargeMessages(): void {
  if (handlerPatched) return;
  const prototype = PGLiteSocketHandler.prototype as unknown as HandlerInternals;
  if (typeof prototype.handleData !== 'function')
    throw new Error('pglite-socket internals changed: review src/postgres/pgliteWireQueue.ts');
  const handleData = prototype.handleData;
  prototype.handleData = function (this: HandlerInternals, data: Buffer): Promise<number> {
    let partial = partials.get(this);
    if (!partial) {
      const length = messageLength(this.messageBuffer, data);
      const bytes = this.messageBuffer.length + data.length;
      if (length < REASSEMBLE_FROM_BYTES || length <= bytes) return handleData.call(this, data);
      partial = { chunks: [], bytes, length };
      partials.set(this, partial);
    } else partial.bytes += data.length;
    partial.chunks.push(data);
    if (partial.bytes < partial.length) return Promise.resolve(0);
    partials.delete(this);
    return handleData.call(this, Buffer.concat(partial.chunks));
  };
  handlerPatched = true;
}

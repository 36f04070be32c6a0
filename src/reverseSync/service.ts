/**
 * Reverse sync inside a long-running stack (`tandem dev`, `demo`, `serve`): a
 * ReverseSyncWorker that runs only while some write group's writer is Convex.
 * Before any group moves, and after the last one is rolled back (a rollback
 * drains the log before it switches), Postgres needs nothing from the change
 * log, so the stack makes no Convex calls for it then. Stage changes arrive
 * through the write stages' watcher (WriteFlags: LISTEN/NOTIFY plus a poll),
 * so a group moved by `tandem flags set … --writes convex` in another process
 * starts the worker here within a poll.
 *
 * Starting and stopping are serialized, so a burst of stage changes leaves
 * exactly one worker loop running or none. The worker keeps its cursor in
 * Postgres, so a stop (SIGTERM, SIGINT) between pages and a later start go on
 * from the last committed page: nothing is lost or applied twice.
 */
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { StoredWriteGroup } from '../writeCutover/groupStore.js';
import type { WriteStageChangeEvent } from '../writeCutover/writeFlags.js';
import { ReverseSyncWorker, type ReverseSyncOptions } from './worker.js';

/** The write groups as a process sees them: WriteFlags, or anything answering the same (tests). */
export interface WriteGroupSource {
  groups(): ReadonlyArray<Pick<StoredWriteGroup, 'name' | 'stage' | 'tables'>>;
  onChange(listener: (changes: WriteStageChangeEvent[]) => void): () => void;
}

export interface ReverseSyncServiceOptions extends ReverseSyncOptions {
  stages: WriteGroupSource;
}

const convexWriters = (stages: Pick<WriteGroupSource, 'groups'>) =>
  stages.groups().filter((g) => g.stage === 'convex');

/** The groups whose writer is Convex now, sorted. */
export function convexWriterGroups(stages: Pick<WriteGroupSource, 'groups'>): string[] {
  return convexWriters(stages)
    .map((g) => g.name)
    .sort();
}

/** The tables of the groups whose writer is Convex now, sorted. */
export function convexWriterTables(stages: Pick<WriteGroupSource, 'groups'>): string[] {
  return convexWriters(stages)
    .flatMap((g) => g.tables)
    .sort();
}

export class ReverseSyncService {
  readonly worker: ReverseSyncWorker;
  private loop: Promise<void> | null = null;
  private transition: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly log: Logger;

  private constructor(private readonly options: ReverseSyncServiceOptions) {
    this.worker = new ReverseSyncWorker(options);
    this.log = (options.log ?? silentLogger).child({ component: 'reverse-sync' });
    this.unsubscribe = options.stages.onChange(() => void this.reconcile());
  }

  /** Starts following the write stages; the worker runs while some group writes to Convex. */
  static start(options: ReverseSyncServiceOptions): ReverseSyncService {
    const service = new ReverseSyncService(options);
    void service.reconcile();
    return service;
  }

  /** True while the worker loop runs (some group's writer is Convex). */
  get running(): boolean {
    return this.loop !== null;
  }

  /** True when the worker should run: some group writes to Convex and the service is not stopped. */
  get wanted(): boolean {
    return !this.closed && convexWriterGroups(this.options.stages).length > 0;
  }

  /** Resolves when the start or stop the latest stage change asked for is done. */
  settled(): Promise<void> {
    return this.transition;
  }

  /** Stops the worker after its current page and stops following the stages. Idempotent. */
  async stop(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.reconcile();
  }

  private reconcile(): Promise<void> {
    this.transition = this.transition.then(async () => {
      const groups = convexWriterGroups(this.options.stages);
      const wanted = !this.closed && groups.length > 0;
      if (wanted && !this.loop) {
        this.log.info({ groups }, 'reverse sync started: Convex writes these groups');
        this.loop = this.worker.start().catch((err: unknown) => {
          this.log.error({ err }, 'reverse sync worker stopped on an error');
        });
      } else if (!wanted && this.loop) {
        await this.worker.stop();
        await this.loop;
        this.loop = null;
        this.log.info(this.closed ? 'reverse sync stopped' : 'reverse sync idle: no group writes to Convex');
      }
    });
    return this.transition;
  }
}

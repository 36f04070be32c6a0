/**
 * Pushes the overview to live subscribers (the SSE route) when it changes.
 * One poll serves every subscriber: while anyone listens, the overview is
 * rebuilt every `checkMs` (1 s by default) and sent only when something other
 * than its timestamp differs from the last one sent. Nothing runs while no one
 * listens.
 */
import type { Logger } from '../log.js';
import type { Overview } from './types.js';

export type OverviewListener = (overview: Overview) => void;

function fingerprint(overview: Overview): string {
  return JSON.stringify(overview.tables);
}

export class LiveOverview {
  private readonly listeners = new Set<OverviewListener>();
  private timer: NodeJS.Timeout | null = null;
  private last: { overview: Overview; print: string } | null = null;
  private checking = false;

  constructor(
    private readonly build: () => Promise<Overview>,
    private readonly log: Logger,
    private readonly checkMs = 1_000,
  ) {}

  /** Sends the current overview to the new listener at once, then every change. Returns the unsubscribe. */
  async subscribe(listener: OverviewListener): Promise<() => void> {
    const current = this.last?.overview ?? (await this.check());
    this.listeners.add(listener);
    if (current) listener(current);
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.checkMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Rebuilds the overview and sends it when it changed; returns the latest one. */
  async check(): Promise<Overview | null> {
    if (this.checking) return this.last?.overview ?? null;
    this.checking = true;
    try {
      const overview = await this.build();
      const print = fingerprint(overview);
      if (this.last?.print !== print) {
        this.last = { overview, print };
        for (const listener of this.listeners) listener(overview);
      }
      return overview;
    } catch (err) {
      this.log.warn({ err }, 'control room: overview failed');
      return this.last?.overview ?? null;
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.last = null;
  }
}

/**
 * The control room's view of the alert rules engine (src/alerts): the alerts
 * firing now per table, and the transitions recorded in the tool's schema.
 * Read from Postgres, so every process shows what any process evaluated.
 */
import type pg from 'pg';
import { currentAlerts, listAlertHistory } from '../alerts/index.js';
import type { AlertSource } from './types.js';
import type { ToolSchema } from '../core/toolSchema.js';

export function postgresAlertSource(pool: pg.Pool, tool: ToolSchema): AlertSource {
  return {
    async firingByTable() {
      const firing = new Map<string, number>();
      for (const alert of await currentAlerts(pool, tool))
        if (alert.state === 'firing') firing.set(alert.table, (firing.get(alert.table) ?? 0) + 1);
      return firing;
    },
    async history(limit) {
      return (await listAlertHistory(pool, tool, { limit })).map((event) => ({
        at: event.at.getTime(),
        rule: event.rule,
        table: event.table,
        state: event.to,
        detail: { from: event.from, severity: event.severity, value: event.value, threshold: event.threshold, summary: event.summary },
      }));
    },
  };
}

/**
 * The Prometheus alerting rules file format, written for these tests from the
 * Prometheus documentation ("Alerting rules" and "Recording rules",
 * configuration reference): a file of groups, each a unique name with
 * optional interval, limit, query_offset and labels, and its rules; a rule
 * is either recording (`record`, `expr`, `labels`) or alerting (`alert`,
 * `expr`, `for`, `keep_firing_for`, `labels`, `annotations`). Unknown keys
 * are errors, as Prometheus's strict loader makes them. Every `expr` must
 * parse as PromQL (Prometheus's own lezer grammar).
 */
import { parser } from '@prometheus-io/lezer-promql';
import { z } from 'zod';

/** `1h30m`, `5m`, `0s`, `250ms`: units y w d h m s ms, largest first, or a plain 0. */
const duration = z
  .string()
  .regex(/^(0|(\d+y)?(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$/, 'not a Prometheus duration')
  .refine((d) => d !== '', 'empty duration');
const labelName = z
  .string()
  .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a label name')
  .refine((n) => !n.startsWith('__'), 'label names starting with __ are reserved');
const labels = z.record(labelName, z.string());
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'not a valid name');

/** The problems a PromQL expression has, as positions of error nodes (none when it parses). */
export function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(node.from);
    },
  });
  return errors;
}

const expr = z
  .string()
  .min(1)
  .superRefine((e, ctx) => {
    const errors = promqlErrors(e);
    if (errors.length) ctx.addIssue({ code: 'custom', message: `PromQL does not parse at ${errors.join(', ')}: ${e}` });
  });

const alertingRule = z
  .object({
    alert: metricName,
    expr,
    for: duration.optional(),
    keep_firing_for: duration.optional(),
    labels: labels.optional(),
    annotations: labels.optional(),
  })
  .strict();

const recordingRule = z.object({ record: metricName, expr, labels: labels.optional() }).strict();

const group = z
  .object({
    name: z.string().min(1),
    interval: duration.optional(),
    limit: z.number().int().min(0).optional(),
    query_offset: duration.optional(),
    labels: labels.optional(),
    rules: z.array(z.union([alertingRule, recordingRule])),
  })
  .strict();

export const prometheusRulesFileSchema = z
  .object({ groups: z.array(group) })
  .strict()
  .superRefine((file, ctx) => {
    const names = file.groups.map((g) => g.name);
    if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', message: 'group names must be unique' });
  });

/**
 * JSON Schemas the HTTP host itself documents in the OpenAPI document: the
 * error envelope every route answers with, the system routes' responses, and
 * request bodies derived from zod input schemas (for an application's routes
 * and the control room's alike). They document; they do not validate.
 */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

export const errorEnvelope: JsonSchema = {
  $id: 'ErrorEnvelope',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          enum: [
            'invalid_input',
            'unauthenticated',
            'forbidden',
            'not_found',
            'conflict',
            'payload_too_large',
            'unsupported_media_type',
            'internal',
            'unavailable',
          ],
        },
        message: { type: 'string' },
        field: {
          type: 'string',
          description: 'The offending input field or path parameter, or "(body)".',
        },
      },
    },
  },
};

/** A zod input schema as an OpenAPI request body, minus the keys the path supplies. */
export function bodyFromInput(schema: z.ZodType, pathKeys: readonly string[] = []): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  const properties = { ...(json.properties as Record<string, unknown>) };
  for (const key of pathKeys) delete properties[key];
  const required = ((json.required as string[] | undefined) ?? []).filter(
    (k) => !pathKeys.includes(k),
  );
  const { $schema: _drop, required: _all, ...rest } = json;
  return required.length > 0 ? { ...rest, properties, required } : { ...rest, properties };
}

const nullable = (schema: JsonSchema): JsonSchema => ({ ...schema, nullable: true });
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
});

/** Responses of /healthz and /readyz. */
export const systemResponses = {
  health: obj({ ok: { type: 'boolean' }, uptimeSeconds: { type: 'integer' }, rssMiB: { type: 'integer' } }),
  readiness: obj({
    ok: { type: 'boolean' },
    database: { type: 'string', enum: ['ok', 'unavailable'] },
    mirror: nullable(obj({ pending: { type: 'integer' }, oldestPendingSeconds: { type: 'number' } })),
    convex: nullable({ type: 'string', enum: ['ok', 'unavailable', null] }),
  }),
};

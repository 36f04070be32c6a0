/**
 * Checks a value against a Convex validator (the objects `v.*` builds, as found
 * in a schema's table definitions). Enough of Convex's rules for documents the
 * mirror writes: exact object fields, optional fields, unions, literals,
 * arrays, ids (as strings), int64 as bigint, float64 as number, bytes as ArrayBuffer.
 */
interface ValidatorLike {
  kind: string;
  isOptional?: 'optional' | 'required';
  fields?: Record<string, ValidatorLike>;
  members?: ValidatorLike[];
  element?: ValidatorLike;
  value?: unknown;
}

/** Null when the value is valid, else the path and the rule it broke. */
export function convexValidationError(
  validator: ValidatorLike,
  value: unknown,
  path = '$',
): string | null {
  switch (validator.kind) {
    case 'any':
      return value === undefined ? `${path}: missing` : null;
    case 'null':
      return value === null ? null : `${path}: expected null`;
    case 'string':
    case 'id':
      return typeof value === 'string' ? null : `${path}: expected ${validator.kind}`;
    case 'float64':
      return typeof value === 'number' ? null : `${path}: expected float64`;
    case 'int64':
      return typeof value === 'bigint' ? null : `${path}: expected int64`;
    case 'bytes':
      return value instanceof ArrayBuffer ? null : `${path}: expected bytes`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${path}: expected boolean`;
    case 'literal':
      return value === validator.value
        ? null
        : `${path}: expected ${JSON.stringify(validator.value)}`;
    case 'array':
      if (!Array.isArray(value)) return `${path}: expected array`;
      for (const [i, item] of value.entries()) {
        const error = convexValidationError(validator.element!, item, `${path}[${i}]`);
        if (error) return error;
      }
      return null;
    case 'union': {
      const errors = validator.members!.map((m) => convexValidationError(m, value, path));
      return errors.some((e) => e === null)
        ? null
        : `${path}: no member matched (${errors.join('; ')})`;
    }
    case 'object':
      return objectError(validator.fields!, value, path);
    default:
      return `${path}: validator kind ${validator.kind} not handled`;
  }
}

function objectError(
  fields: Record<string, ValidatorLike>,
  value: unknown,
  path: string,
): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `${path}: expected object`;
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    if (!(name in fields)) return `${path}.${name}: field not in the schema`;
  }
  for (const [name, field] of Object.entries(fields)) {
    if (!(name in record)) {
      if (field.isOptional === 'optional') continue;
      return `${path}.${name}: required field missing`;
    }
    const error = convexValidationError(field, record[name], `${path}.${name}`);
    if (error) return error;
  }
  return null;
}

import { describe, expect, it } from 'vitest';
import {
  mapColumnValue,
  MappingError,
  timestampToMillis,
  utcKeyText,
  type ColumnConfig,
} from '../../src/mapping/index.js';
import { millisToMicros, parseTimestampMicros } from '../../src/mapping/timestamp.js';

const site = { table: 't', key: '1', column: 'c' };
const col = (type: ColumnConfig['type'], extra: Partial<ColumnConfig> = {}): ColumnConfig => ({
  name: 'c',
  type,
  nullable: true,
  ...extra,
});

function mappingFailure(fn: () => unknown): MappingError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MappingError) return error;
    throw error;
  }
  throw new Error('expected a MappingError');
}

describe('mapColumnValue', () => {
  it('maps NULL to null, and refuses NULL in a NOT NULL column', () => {
    expect(mapColumnValue(col('text'), null, site)).toBeNull();
    const error = mappingFailure(() =>
      mapColumnValue(col('text', { nullable: false }), null, site),
    );
    expect([error.table, error.key, error.column, error.rule]).toEqual(['t', '1', 'c', 'not-null']);
  });

  it('maps int4/int2 from numbers and integer text', () => {
    expect(mapColumnValue(col('int4'), 42, site)).toBe(42);
    expect(mapColumnValue(col('int2'), '-7', site)).toBe(-7);
    expect(mappingFailure(() => mapColumnValue(col('int4'), 1.5, site)).rule).toBe('type');
  });

  it('maps int8 to bigint from text, number or bigint, checking range and precision', () => {
    expect(mapColumnValue(col('int8'), '9223372036854775807', site)).toBe(9223372036854775807n);
    expect(mapColumnValue(col('int8'), '-9223372036854775808', site)).toBe(-9223372036854775808n);
    expect(mapColumnValue(col('int8'), 12, site)).toBe(12n);
    expect(mapColumnValue(col('int8'), 5n, site)).toBe(5n);
    expect(
      mappingFailure(() => mapColumnValue(col('int8'), '9223372036854775808', site)).rule,
    ).toBe('int8-range');
    expect(mappingFailure(() => mapColumnValue(col('int8'), 2 ** 60, site)).rule).toBe(
      'int8-precision',
    );
    expect(mappingFailure(() => mapColumnValue(col('int8'), '1e3', site)).rule).toBe('type');
  });

  it('maps float8 including NaN, infinities and -0 (Convex float64 stores them all)', () => {
    expect(mapColumnValue(col('float8'), 1.25, site)).toBe(1.25);
    expect(mapColumnValue(col('float8'), '1.5e3', site)).toBe(1500);
    expect(mapColumnValue(col('float8'), 'NaN', site)).toBeNaN();
    expect(mapColumnValue(col('float8'), NaN, site)).toBeNaN();
    expect(mapColumnValue(col('float8'), '-Infinity', site)).toBe(-Infinity);
    expect(mapColumnValue(col('float8'), 'Infinity', site)).toBe(Infinity);
    expect(Object.is(mapColumnValue(col('float8'), -0, site), -0)).toBe(true);
    expect(Object.is(mapColumnValue(col('float8'), '-0', site), -0)).toBe(true);
    expect(mapColumnValue(col('float4'), '1e+30', site)).toBe(1e30);
    expect(mappingFailure(() => mapColumnValue(col('float8'), 'abc', site)).rule).toBe('type');
  });

  it('keeps numeric as its Postgres text and refuses a JS number (its text may differ)', () => {
    expect(mapColumnValue(col('numeric'), '1.50', site)).toBe('1.50');
    expect(mapColumnValue(col('numeric'), 'NaN', site)).toBe('NaN');
    expect(mappingFailure(() => mapColumnValue(col('numeric'), 1.5, site)).rule).toBe('type');
  });

  it('maps booleans, strings (non-Latin, RTL) and refuses lone surrogates', () => {
    expect(mapColumnValue(col('bool'), false, site)).toBe(false);
    expect(mapColumnValue(col('varchar'), 'עברית', site)).toBe('עברית');
    expect(mapColumnValue(col('text'), '日本語 🎌', site)).toBe('日本語 🎌');
    const error = mappingFailure(() => mapColumnValue(col('text'), 'a\uD800b', site));
    expect(error.rule).toBe('string-utf8');
    expect(error.message).toBe('t 1.c: string-utf8: string has a lone UTF-16 surrogate');
    expect(mappingFailure(() => mapColumnValue(col('bool'), 't', site)).rule).toBe('type');
  });

  it('maps enums to their label and refuses unknown labels', () => {
    const gender = col('enum', { enumName: 'gender_enum', enumValues: ['MALE', 'FEMALE'] });
    expect(mapColumnValue(gender, 'FEMALE', site)).toBe('FEMALE');
    expect(mappingFailure(() => mapColumnValue(gender, 'OTHER', site)).rule).toBe('enum-value');
  });

  it('maps arrays element-wise, keeping NULL elements', () => {
    expect(mapColumnValue(col('varchar', { array: true }), ['a', null, 'ü'], site)).toEqual([
      'a',
      null,
      'ü',
    ]);
    expect(mapColumnValue(col('varchar', { array: true }), [], site)).toEqual([]);
    expect(
      mappingFailure(() => mapColumnValue(col('varchar', { array: true }), [['a']], site)).rule,
    ).toBe('array-dimensions');
    expect(
      mappingFailure(() => mapColumnValue(col('varchar', { array: true }), '{a,b}', site)).rule,
    ).toBe('type');
    const tooLong = Array.from({ length: 8193 }, () => 'x');
    expect(
      mappingFailure(() => mapColumnValue(col('varchar', { array: true }), tooLong, site)).rule,
    ).toBe('array-length');
    expect(mapColumnValue(col('varchar', { array: true }), tooLong.slice(1), site)).toHaveLength(
      8192,
    );
  });
});

describe('timestamptz', () => {
  it('reads the to_jsonb form and the DateStyle ISO form to milliseconds with the microseconds as fraction', () => {
    const expected = Date.UTC(2024, 0, 2, 2, 4, 5, 123) + 0.987;
    expect(timestampToMillis('2024-01-02T03:04:05.123987+01:00')).toBe(expected);
    expect(timestampToMillis('2024-01-02 03:04:05.123987+01')).toBe(expected);
    expect(timestampToMillis(new Date(expected - 0.987))).toBe(expected - 0.987);
    expect(timestampToMillis('2024-01-02T02:04:05Z')).toBe(expected - 123.987);
  });

  it('keeps every microsecond, also before 1970, and millisToMicros gives them back', () => {
    expect(timestampToMillis('1969-12-31T23:59:59.999999+00:00')).toBe(-0.001);
    expect(timestampToMillis('1970-01-01T00:00:00.0009+00:00')).toBe(0.9);
    for (const text of [
      '2024-02-29T23:59:59.999999Z',
      '1900-01-01T00:00:00.000001Z',
      '2100-12-31T12:00:00.5Z',
    ]) {
      const ms = timestampToMillis(text)!;
      expect(millisToMicros(ms)).toBe(parseTimestampMicros(text, true));
    }
  });

  it('refuses microseconds a double cannot carry (far from 1970) rather than rounding them', () => {
    const site = { table: 't', key: '1', column: 'at' };
    const column = { name: 'at', type: 'timestamptz' as const, nullable: false };
    expect(
      mappingFailure(() => mapColumnValue(column, '5000-01-01T00:00:00.000001+00:00', site)).rule,
    ).toBe('timestamp-precision');
    expect(mapColumnValue(column, '5000-01-01T00:00:00.001+00:00', site)).toBe(
      Date.UTC(5000, 0, 1) + 1,
    );
  });

  it('handles offsets with seconds, BC years, infinity, and refuses garbage', () => {
    expect(timestampToMillis('1850-03-15T00:19:32+00:19:32')).toBe(Date.UTC(1850, 2, 15));
    const bc = new Date(0);
    bc.setUTCFullYear(-43, 2, 15);
    bc.setUTCHours(0, 0, 0, 0);
    expect(timestampToMillis('0044-03-15T00:00:00+00:00 BC')).toBe(bc.getTime());
    expect(timestampToMillis('infinity')).toBe(Infinity);
    expect(timestampToMillis('-infinity')).toBe(-Infinity);
    expect(timestampToMillis('2024-13-01T00:00:00+00:00')).toBeNull();
    expect(timestampToMillis('yesterday')).toBeNull();
    expect(mappingFailure(() => mapColumnValue(col('timestamptz'), 'yesterday', site)).rule).toBe(
      'timestamp-format',
    );
  });
});

describe('types by their Postgres text', () => {
  it('reads bytea in both bytea_output forms, and bytes as they are', () => {
    const hex = (value: unknown) => Buffer.from(value as ArrayBuffer).toString('hex');
    expect(hex(mapColumnValue(col('bytea'), '\\x00ff5c41', site))).toBe('00ff5c41');
    expect(hex(mapColumnValue(col('bytea'), '\\000\\377\\\\A', site))).toBe('00ff5c41');
    expect(hex(mapColumnValue(col('bytea'), Buffer.from([1, 2]), site))).toBe('0102');
    expect(mapColumnValue(col('bytea'), '\\x', site)).toBeInstanceOf(ArrayBuffer);
    expect(mappingFailure(() => mapColumnValue(col('bytea'), '\\x0', site)).rule).toBe('type');
    expect(mappingFailure(() => mapColumnValue(col('bytea'), '\\9', site)).rule).toBe('type');
  });

  it('keeps text-like values exactly, char(n) padding included', () => {
    expect(mapColumnValue(col('bpchar'), 'ab   ', site)).toBe('ab   ');
    expect(mapColumnValue(col('other', { pgType: 'inet' }), '10.0.0.1/32', site)).toBe(
      '10.0.0.1/32',
    );
    expect(mapColumnValue(col('date', { array: true }), ['0044-03-15 BC', null], site)).toEqual([
      '0044-03-15 BC',
      null,
    ]);
    expect(
      mappingFailure(() => mapColumnValue(col('other', { pgType: 'inet' }), 5, site)).detail,
    ).toBe('expected inet text, got number');
  });

  it('reads timestamp without time zone as UTC wall clock, and refuses a zoned text or a Date for it', () => {
    expect(mapColumnValue(col('timestamp'), '2024-02-29T12:34:56.789012', site)).toBe(
      Date.UTC(2024, 1, 29, 12, 34, 56, 789) + 0.012,
    );
    expect(mapColumnValue(col('timestamp'), '-infinity', site)).toBe(-Infinity);
    expect(
      mappingFailure(() => mapColumnValue(col('timestamp'), '2024-02-29T12:34:56+00:00', site))
        .rule,
    ).toBe('timestamp-format');
    expect(mappingFailure(() => mapColumnValue(col('timestamp'), new Date(0), site)).rule).toBe(
      'type',
    );
    expect(
      mappingFailure(() => mapColumnValue(col('timestamptz'), '2024-02-29T12:34:56', site)).rule,
    ).toBe('timestamp-format');
  });

  it('writes timestamptz key text in UTC, as the trigger does', () => {
    expect(utcKeyText('2024-01-02T08:49:05.12+05:45')).toBe('2024-01-02T03:04:05.12');
    expect(utcKeyText('0044-03-15T12:09:21+00:09:21 BC')).toBe('0044-03-15T12:00:00 BC');
    expect(utcKeyText('0001-01-01T00:00:00+00:00')).toBe('0001-01-01T00:00:00');
    expect(utcKeyText('0001-12-31T23:59:59.999999+00:00 BC')).toBe('0001-12-31T23:59:59.999999 BC');
    expect(utcKeyText('infinity')).toBe('infinity');
    expect(utcKeyText(new Date(Date.UTC(1999, 0, 1, 0, 0, 0, 500)))).toBe('1999-01-01T00:00:00.5');
  });
});

describe('mapColumnValue refusals and edges, each named exactly', () => {
  const failure = (column: ColumnConfig, raw: unknown) => {
    const error = mappingFailure(() => mapColumnValue(column, raw, site));
    return `${error.rule}: ${error.detail}`;
  };

  it('treats undefined as NULL, and names the NOT NULL refusal', () => {
    expect(mapColumnValue(col('int4'), undefined, site)).toBeNull();
    expect(failure(col('int4', { nullable: false }), undefined)).toBe(
      'not-null: NULL in a NOT NULL column',
    );
  });

  it('names what an array column got instead of an array, its length and a nested array', () => {
    expect(failure(col('int4', { array: true }), '{1,2}')).toBe(
      'type: expected an array (a parsed Postgres array), got string',
    );
    expect(
      failure(
        col('int4', { array: true }),
        Array.from({ length: 8193 }, () => 1),
      ),
    ).toBe("array-length: 8193 elements exceed Convex's 8192 per array");
    expect(failure(col('int4', { array: true }), [1, [2]])).toBe(
      'array-dimensions: multi-dimensional array in a 1-D column',
    );
    expect(mapColumnValue(col('int4', { array: true }), [1, null, '3'], site)).toEqual([
      1,
      null,
      3,
    ]);
  });

  it('names the integer type refused, and reads integer text only when it is all digits', () => {
    expect(failure(col('int2'), 'x')).toBe('type: expected int2, got string');
    expect(failure(col('int4'), 1.5)).toBe('type: expected int4, got number');
    expect(failure(col('int4'), '9007199254740993')).toBe('type: expected int4, got string');
    expect(failure(col('int4'), true)).toBe('type: expected int4, got boolean');
  });

  it('refuses a fractional, out-of-range or lossy int8, naming each', () => {
    expect(failure(col('int8'), 1.5)).toBe('type: expected int8, got number');
    expect(failure(col('int8'), 'x12')).toBe('type: expected int8, got string');
    expect(failure(col('int8'), '12 ')).toBe('type: expected int8, got string');
    expect(failure(col('int8'), 2 ** 60)).toBe(
      'int8-precision: 1152921504606847000 was parsed as a lossy number',
    );
    expect(failure(col('int8'), '-9223372036854775809')).toBe(
      'int8-range: -9223372036854775809 is outside int64',
    );
    expect(failure(col('int8'), 9223372036854775808n)).toBe(
      'int8-range: 9223372036854775808 is outside int64',
    );
    expect(mapColumnValue(col('int8'), Number.MAX_SAFE_INTEGER, site)).toBe(9007199254740991n);
    expect(mapColumnValue(col('int8'), '-12', site)).toBe(-12n);
  });

  it('reads every float text Postgres prints, and refuses anything else', () => {
    const float = (text: string) => mapColumnValue(col('float8'), text, site);
    for (const [text, value] of [
      ['12', 12],
      ['-12', -12],
      ['.5', 0.5],
      ['-.5', -0.5],
      ['5.', 5],
      ['1.25', 1.25],
      ['12.5', 12.5],
      ['.25', 0.25],
      ['1E5', 1e5],
      ['1e-5', 1e-5],
      ['-1.25e+3', -1250],
    ] as const)
      expect(float(text)).toBe(value);
    for (const text of [
      '',
      '.',
      '-',
      'e5',
      '1e',
      '1.2.3',
      '--1',
      '+1',
      ' 1',
      '1 ',
      '1e5x',
      'x1',
      'toString',
    ])
      expect(failure(col('float8'), text)).toBe('type: expected float, got string');
    expect(failure(col('float4'), true)).toBe('type: expected float, got boolean');
  });

  it('names the text-like type (or its Postgres type) a non-string was refused for', () => {
    for (const type of [
      'text',
      'varchar',
      'bpchar',
      'uuid',
      'date',
      'time',
      'timetz',
      'interval',
    ] as const) {
      expect(mapColumnValue(col(type), 'v', site)).toBe('v');
      expect(failure(col(type), 5)).toBe(`type: expected ${type} text, got number`);
    }
    expect(failure(col('other', { pgType: 'money' }), 5)).toBe(
      'type: expected money text, got number',
    );
    expect(failure(col('other'), 5)).toBe('type: expected other text, got number');
    expect(failure(col('uuid'), '\uDC00')).toBe('string-utf8: string has a lone UTF-16 surrogate');
    expect(failure(col('numeric'), 5)).toBe(
      'type: expected numeric (as Postgres text), got number',
    );
    expect(failure(col('bool'), 'true')).toBe('type: expected boolean, got string');
    expect(mapColumnValue(col('bool'), true, site)).toBe(true);
  });

  it('names the enum and its labels when refusing', () => {
    const named = col('enum', { enumName: 'gender_enum', enumValues: ['MALE'] });
    expect(failure(named, 'OTHER')).toBe('enum-value: "OTHER" is not a label of gender_enum');
    expect(failure(named, 5)).toBe('type: expected enum gender_enum, got number');
    expect(failure(col('enum'), 'MALE')).toBe('enum-value: "MALE" is not a label of the enum');
    expect(failure(col('enum'), 5)).toBe('type: expected enum, got number');
  });

  it('takes whole milliseconds, infinities and a Date for timestamptz, and names each refusal', () => {
    expect(mapColumnValue(col('timestamptz'), new Date(5), site)).toBe(5);
    expect(mapColumnValue(col('timestamptz'), 1000, site)).toBe(1000);
    expect(mapColumnValue(col('timestamptz'), Infinity, site)).toBe(Infinity);
    expect(mapColumnValue(col('timestamp'), -Infinity, site)).toBe(-Infinity);
    expect(failure(col('timestamptz'), 1.5)).toBe(
      'type: expected timestamptz (whole milliseconds or Postgres text), got number',
    );
    expect(failure(col('timestamp'), 1.5)).toBe(
      'type: expected timestamp (whole milliseconds or Postgres text), got number',
    );
    expect(failure(col('timestamp'), new Date(0))).toBe('type: expected timestamp text, got Date');
    expect(failure(col('timestamptz'), NaN)).toBe(
      'timestamp-format: cannot read "NaN" as timestamptz',
    );
    expect(failure(col('timestamp'), 'soon')).toBe(
      'timestamp-format: cannot read "soon" as timestamp',
    );
    expect(failure(col('timestamp'), '5000-01-01T00:00:00.000001')).toBe(
      'timestamp-precision: 5000-01-01T00:00:00.000001: a float64 of milliseconds cannot carry these microseconds exactly',
    );
    expect(failure(col('timestamptz'), '5000-01-01T00:00:00.000001x')).toBe(
      'timestamp-format: cannot read "5000-01-01T00:00:00.000001x" as timestamptz',
    );
  });

  it('takes bytea as an ArrayBuffer or as the bytes a view shows, and names the refusal', () => {
    const buffer = Uint8Array.from([1, 2, 3]).buffer;
    expect(mapColumnValue(col('bytea'), buffer, site)).toBe(buffer);
    const view = new Uint8Array(Uint8Array.from([9, 8, 7, 6]).buffer, 1, 2);
    const bytes = mapColumnValue(col('bytea'), view, site) as ArrayBuffer;
    expect([...new Uint8Array(bytes)]).toEqual([8, 7]);
    expect(failure(col('bytea'), 5)).toBe(
      'type: expected bytea (Postgres hex or escape text, or bytes), got number',
    );
  });
});

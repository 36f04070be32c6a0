/**
 * Parity's view of primary keys without a database: key texts split into
 * their columns, the values reports show, which texts a table accepts, and the
 * SQL that finds rows by key (run against real rows in
 * test/mapping/allTypesKeys.test.ts). Tables of a rental schema, not the story site.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/core/errors.js';
import type { ColumnConfig, PgColumnType, TableConfig } from '../../src/mapping/index.js';
import {
  isValidKeyText,
  keyFilter,
  keyParts,
  keyTextSql,
  keyValue,
  parseKeyArgument,
  utcKeyColumns,
} from '../../src/parity/keys.js';

function table(name: string, columns: ColumnConfig[], primaryKey: string[]): TableConfig {
  return { schema: 'public', name, columns, primaryKey, foreignKeys: [] };
}

/** A table `t` keyed by one column `k` of `type` (an array of it when `array`). */
function oneKey(type: PgColumnType, array = false): TableConfig {
  return table('t', [{ name: 'k', type, nullable: false, ...(array ? { array } : {}) }], ['k']);
}

const FILM = table('film', [{ name: 'film_id', type: 'int4', nullable: false }], ['film_id']);
const LEDGER = table('ledger', [{ name: 'entry', type: 'int8', nullable: false }], ['entry']);
const STORE = table('store', [{ name: 'code', type: 'varchar', nullable: false }], ['code']);
const TAPE = table('tape', [{ name: 'barcode', type: 'uuid', nullable: false }], ['barcode']);
const RENTAL = table(
  'rental',
  [
    { name: 'rental_id', type: 'int2', nullable: false },
    { name: 'rented_at', type: 'timestamptz', nullable: false },
    { name: 'note', type: 'text', nullable: true },
  ],
  ['rental_id', 'rented_at'],
);
const PRICE = table(
  'price',
  [
    { name: 'film_id', type: 'int4', nullable: false },
    { name: 'day', type: 'timestamp', nullable: false },
  ],
  ['film_id', 'day'],
);

describe('parity keys', () => {
  it('splits a composite key text into its columns and refuses any other shape, naming the table', () => {
    expect(keyParts(FILM, '42')).toEqual(['42']);
    expect(keyParts(RENTAL, '["7","2024-01-02T03:04:05"]')).toEqual(['7', '2024-01-02T03:04:05']);
    const refusal = (text: string) =>
      new InvalidInputError(
        'keys',
        `rental has a composite key: give it as a JSON array of texts, not ${text}`,
      );
    for (const bad of [
      '7',
      '["7"]',
      '["7","2024-01-02T03:04:05","x"]',
      '[7,"2024-01-02T03:04:05"]',
      '{"a":1}',
      'not json',
    ])
      expect(() => keyParts(RENTAL, bad)).toThrow(refusal(bad));
  });

  it('shows int2/int4 and safe int8 keys as numbers, everything else as its text', () => {
    expect(keyValue(FILM, '42')).toBe(42);
    expect(keyValue(LEDGER, '9007199254740991')).toBe(9007199254740991);
    expect(keyValue(LEDGER, '9007199254740993')).toBe('9007199254740993');
    expect(keyValue(STORE, '0042')).toBe('0042');
    expect(keyValue(RENTAL, '["7","2024-01-02T03:04:05"]')).toEqual([7, '2024-01-02T03:04:05']);
  });

  it('accepts a key text only when every column parses as its type', () => {
    expect(isValidKeyText(FILM, '-42')).toBe(true);
    expect(isValidKeyText(FILM, '4.2')).toBe(false);
    expect(isValidKeyText(FILM, '42 ')).toBe(false);
    expect(isValidKeyText(STORE, 'any text')).toBe(true);
    expect(isValidKeyText(RENTAL, '["7","2024-01-02T03:04:05.123456"]')).toBe(true);
    expect(isValidKeyText(RENTAL, '["7","yesterday"]')).toBe(false);
    expect(isValidKeyText(RENTAL, '["x","2024-01-02T03:04:05"]')).toBe(false);
    expect(() => parseKeyArgument(FILM, 'abc')).toThrow(
      new InvalidInputError('keys', 'film.film_id is an integer, not "abc"'),
    );
    expect(() => parseKeyArgument(PRICE, '["1","soon"]')).toThrow(
      new InvalidInputError('keys', 'price.day is a timestamp, not "soon"'),
    );
    expect(parseKeyArgument(PRICE, '["1","2024-01-02T03:04:05"]')).toBe(
      '["1","2024-01-02T03:04:05"]',
    );
  });

  it('finds rows by key on the key columns, typed, with the timestamptz part read as UTC', () => {
    expect(keyFilter(FILM, ['1', '2'])).toEqual({
      sql: 't."film_id" = ANY($1::int4[])',
      params: [['1', '2']],
    });
    expect(keyFilter(STORE, ['a'], 3)).toEqual({
      sql: 't."code"::text = ANY($3::text[])',
      params: [['a']],
    });
    expect(keyFilter(TAPE, ['00000000-0000-0000-0000-000000000001'])).toEqual({
      sql: 't."barcode" = ANY($1::uuid[])',
      params: [['00000000-0000-0000-0000-000000000001']],
    });
    expect(
      keyFilter(RENTAL, ['["7","2024-01-02T03:04:05"]', '["8","2024-01-03T00:00:00"]'], 2),
    ).toEqual({
      sql:
        '(t."rental_id", t."rented_at") IN (SELECT u.k0, (u.k1 AT TIME ZONE \'UTC\') ' +
        'FROM unnest($2::int2[], $3::timestamp[]) AS u(k0, k1))',
      params: [
        ['7', '8'],
        ['2024-01-02T03:04:05', '2024-01-03T00:00:00'],
      ],
    });
    expect(keyFilter(PRICE, ['["1","2024-01-02T03:04:05"]']).sql).toBe(
      '(t."film_id", t."day") IN (SELECT u.k0, u.k1 FROM unnest($1::int4[], $2::timestamp[]) AS u(k0, k1))',
    );
  });

  it('orders by the cheap ::text of a one-column integer or text key, by the trigger’s expression otherwise', () => {
    expect(keyTextSql(FILM)).toBe('t."film_id"::text');
    expect(keyTextSql(STORE)).toBe('t."code"::text');
    expect(keyTextSql(TAPE)).toBe(`(to_jsonb(t."barcode") #>> '{}')`);
    expect(utcKeyColumns(RENTAL)).toEqual(['rented_at']);
    expect(utcKeyColumns(PRICE)).toEqual([]);
    expect(keyTextSql(RENTAL)).toBe(
      `to_json(ARRAY[(to_jsonb(t."rental_id") #>> '{}'), (to_jsonb((t."rented_at" AT TIME ZONE 'UTC')) #>> '{}')]::text[])::text`,
    );
  });
  it('binds each key type as its own typed array, and compares every other type as text', () => {
    const keyText: Partial<Record<PgColumnType, string>> = {
      int2: '1',
      int4: '1',
      int8: '1',
      timestamp: '2024-01-02T03:04:05',
    };
    const typed: Array<[PgColumnType, string]> = [
      ['int2', 'int2'],
      ['int4', 'int4'],
      ['int8', 'int8'],
      ['numeric', 'numeric'],
      ['float4', 'float4'],
      ['float8', 'float8'],
      ['bool', 'bool'],
      ['bpchar', 'bpchar'],
      ['uuid', 'uuid'],
      ['date', 'date'],
      ['time', 'time'],
      ['timestamp', 'timestamp'],
    ];
    for (const [type, sqlType] of typed)
      expect(keyFilter(oneKey(type), [keyText[type] ?? 'x']).sql).toBe(
        `t."k" = ANY($1::${sqlType}[])`,
      );
    for (const type of ['text', 'varchar', 'timetz', 'interval', 'jsonb', 'enum', 'other'] as const)
      expect(keyFilter(oneKey(type), ['x']).sql).toBe('t."k"::text = ANY($1::text[])');
  });

  it('reads a one-column timestamptz key as UTC through the same unnest as a composite one', () => {
    const visit = table('visit', [{ name: 'at', type: 'timestamptz', nullable: false }], ['at']);
    expect(keyFilter(visit, ['2024-01-02T03:04:05'])).toEqual({
      sql: '(t."at") IN (SELECT (u.k0 AT TIME ZONE \'UTC\') FROM unnest($1::timestamp[]) AS u(k0))',
      params: [['2024-01-02T03:04:05']],
    });
    expect(utcKeyColumns(visit)).toEqual(['at']);
    expect(keyTextSql(visit)).toBe(`(to_jsonb((t."at" AT TIME ZONE 'UTC')) #>> '{}')`);
  });

  it('checks int2 and int8 key texts as integers too', () => {
    const small = table('small', [{ name: 'n', type: 'int2', nullable: false }], ['n']);
    expect(isValidKeyText(small, '7')).toBe(true);
    expect(() => parseKeyArgument(small, '7x')).toThrow(
      new InvalidInputError('keys', 'small.n is an integer, not "7x"'),
    );
    expect(isValidKeyText(LEDGER, '9007199254740993')).toBe(true);
    expect(() => parseKeyArgument(LEDGER, 'x7')).toThrow(
      new InvalidInputError('keys', 'ledger.entry is an integer, not "x7"'),
    );
  });

  it('orders int2, int8 and text keys by their ::text too, but not a char(n), an array or a timestamp key', () => {
    for (const type of ['int2', 'int4', 'int8', 'text', 'varchar'] as const)
      expect(keyTextSql(oneKey(type))).toBe('t."k"::text');
    for (const type of ['bpchar', 'uuid', 'timestamp'] as const)
      expect(keyTextSql(oneKey(type))).toBe(`(to_jsonb(t."k") #>> '{}')`);
    expect(keyTextSql(oneKey('int4', true))).toBe(`(to_jsonb(t."k") #>> '{}')`);
    expect(keyTextSql(oneKey('text', true))).toBe(`(to_jsonb(t."k") #>> '{}')`);
  });
});

/**
 * Streams generated rows into a table in multi-row parameterized INSERTs, so
 * memory stays bounded by one batch whatever the scale. A batch is flushed at
 * `maxRows` rows, at `maxBytes` of estimated payload (stories are large), or
 * before Postgres's limit of 65,535 bound parameters per statement.
 */
import type { Queryable } from 'tandem';

const MAX_PARAMETERS = 65_535;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface BatchOptions {
  maxRows?: number;
  maxBytes?: number;
  /** Called after each flushed batch with the number of rows inserted so far. */
  onFlush?: (inserted: number) => void;
}

export class BatchInsert {
  private rows: unknown[][] = [];
  private bytes = 0;
  private inserted = 0;
  private readonly maxRows: number;
  private readonly maxBytes: number;

  constructor(
    private readonly db: Queryable,
    private readonly table: string,
    private readonly columns: readonly string[],
    private readonly options: BatchOptions = {},
  ) {
    this.maxRows = Math.min(options.maxRows ?? 1000, Math.floor(MAX_PARAMETERS / columns.length));
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024;
  }

  get count(): number {
    return this.inserted;
  }

  /** Queues one row (values in column order); `bytes` estimates its payload size. */
  async add(row: unknown[], bytes = 0): Promise<void> {
    if (row.length !== this.columns.length) {
      throw new Error(
        `${this.table}: row has ${row.length} values for ${this.columns.length} columns`,
      );
    }
    this.rows.push(row);
    this.bytes += bytes;
    if (this.rows.length >= this.maxRows || this.bytes >= this.maxBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.rows.length === 0) return;
    const width = this.columns.length;
    const tuples = this.rows.map(
      (_, r) => `(${this.columns.map((__, c) => `$${r * width + c + 1}`).join(', ')})`,
    );
    const sql = `INSERT INTO ${quoteIdent(this.table)} (${this.columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}`;
    await this.db.query(sql, this.rows.flat());
    this.inserted += this.rows.length;
    this.rows = [];
    this.bytes = 0;
    this.options.onFlush?.(this.inserted);
  }
}

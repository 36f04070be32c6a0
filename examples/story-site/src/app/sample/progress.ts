import type { SampleTable } from './plan.js';

/** Rows inserted so far into one table (called after each batch). */
export type Progress = (table: SampleTable, inserted: number) => void;

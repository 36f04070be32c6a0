/**
 * The table name an inventory gives a write whose table is computed at run
 * time. In a module of its own so that readers of an inventory (the write
 * cutover) need not load the scanner and its TypeScript parser.
 */
export const DYNAMIC_TABLE = '(dynamic)';

/**
 * `tandem/scan`: static analysis of an application's source (the guard and the
 * write-site inventory). Separate from the main entry because it loads the
 * TypeScript compiler and the Postgres parser (about 90 MB of resident memory).
 */
export {
  scanForTables,
  DEFAULT_GUARD_PATHS,
  type GuardFinding,
  type GuardOptions,
  type GuardResult,
} from './guard/scanForTables.js';
export {
  buildInventory,
  DEFAULT_INVENTORY_PATHS,
  DYNAMIC_TABLE,
  type Inventory,
  type InventoryWrite,
  type WriteSite,
} from './inventory/buildInventory.js';
export { inventoryMarkdown } from './inventory/inventoryMarkdown.js';
export { formatScanWarning, type ScanWarning } from './sqlscan/warnings.js';

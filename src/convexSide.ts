/**
 * `tandem/convex`: what an application's own Convex functions may import from
 * Tandem (it runs inside Convex, so nothing here uses Node APIs): the canonical
 * form and hash parity compares, SHA-256, and the mirror's document types.
 * The mirror functions themselves (apply, export, parity queries) are not
 * imported: `tandem codegen` copies them into the app's Convex folder
 * (convex/tandem.ts, convex/tandem/), generated for its tables.
 */
export {
  CANONICAL_VERSION,
  canonicalValue,
  canonicalRow,
  canonicalRowHash,
  sortedColumns,
  hashPrefix,
  digestHex,
} from '../convex-kit/tandem/canonical.js';
export { sha256Hex } from '../convex-kit/tandem/sha256.js';
export * from '../convex-kit/tandem/types.js';

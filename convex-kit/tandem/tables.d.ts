/**
 * Type of the module `tandem codegen` writes as tandem/tables.ts in each app's
 * Convex folder (the run-time table config rendered from its mirror
 * configuration). The kit's sources are type-checked against this declaration;
 * it is never copied into an app.
 */
import type { MirroredTable } from './types.js';

export declare const MIRRORED_TABLES: Record<string, MirroredTable>;

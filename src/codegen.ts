/**
 * `tandem/codegen`: the files Tandem generates from the live catalog (mirror
 * configuration, Convex schema and functions). Separate from the main entry
 * because rendering loads the TypeScript compiler and prettier.
 */
export {
  codegenFromDatabase,
  renderCatalogFiles,
  type CatalogFiles,
  type CodegenResult,
} from './convex/codegen/catalogCodegen.js';
export { writeConvexFiles, staleConvexFiles } from './convex/codegen/convexFiles.js';

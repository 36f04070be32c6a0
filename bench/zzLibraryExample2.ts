import { scanForTables } from '../src/scan.js';
import { codegenFromDatabase } from '../src/codegen.js';

export { scanForTables, codegenFromDatabase };

/**
 * The inventory: every SQL write in the scanned code, grouped by the write site
 * it belongs to. A write whose table is only known at run time (an
 * interpolated name) is listed under the table `(dynamic)`.
 */
import { scanFile } from '../sqlscan/scanFile.js';
import { collectFiles, displayPath } from '../sqlscan/sourceFiles.js';
import type { WriteOp } from '../sqlscan/tableRefs.js';
import type { ScanWarning } from '../sqlscan/warnings.js';
import type { SiteKind } from './pathRole.js';
import { siteOf } from './writeSite.js';
import { DYNAMIC_TABLE } from './dynamicTable.js';

export { DYNAMIC_TABLE };
export const DEFAULT_INVENTORY_PATHS = ['.'];

export interface InventoryWrite {
  table: string;
  op: WriteOp;
  line: number;
}

export interface WriteSite {
  file: string;
  kind: SiteKind;
  name: string;
  route?: string;
  /** HTTP method(s) of the exported handler(s) that reach this site. */
  method?: string;
  /** Set when the site is a helper in a route file, called by these exported handlers. */
  helperOf?: string;
  writes: InventoryWrite[];
}

export interface Inventory {
  sites: WriteSite[];
  warnings: ScanWarning[];
  filesScanned: number;
}

export async function buildInventory(
  paths: readonly string[],
  options: { cwd?: string } = {},
): Promise<Inventory> {
  const cwd = options.cwd ?? process.cwd();
  const { files, skipped } = await collectFiles(
    paths.length ? paths : DEFAULT_INVENTORY_PATHS,
    cwd,
  );
  const sites = new Map<string, WriteSite>();
  const warnings: ScanWarning[] = [...skipped];
  for (const absolute of files) {
    const scan = await scanFile(absolute, displayPath(absolute, cwd));
    warnings.push(...scan.warnings);
    for (const unit of scan.units) {
      const writes = unit.refs.flatMap((ref) =>
        (ref.write ?? []).map((op) => ({
          table: ref.dynamic ? DYNAMIC_TABLE : ref.table,
          op,
          line: ref.line,
        })),
      );
      if (writes.length === 0) continue;
      const identity = siteOf(scan.file, scan.text, scan.sourceFile, unit.node);
      const key = JSON.stringify([scan.file, identity.kind, identity.name, identity.method ?? '']);
      const site = sites.get(key) ?? { file: scan.file, ...identity, writes: [] };
      sites.set(key, site);
      site.writes.push(...writes);
    }
  }
  const list = [...sites.values()].map((site) => ({ ...site, writes: uniqueWrites(site.writes) }));
  list.sort(
    (a, b) => a.file.localeCompare(b.file) || (a.writes[0]?.line ?? 0) - (b.writes[0]?.line ?? 0),
  );
  return { sites: list, warnings, filesScanned: files.length };
}

function uniqueWrites(writes: InventoryWrite[]): InventoryWrite[] {
  const seen = new Set<string>();
  return writes
    .filter((w) => {
      const key = `${w.line}:${w.op}:${w.table}`;
      return !seen.has(key) && seen.add(key);
    })
    .sort((a, b) => a.line - b.line || a.table.localeCompare(b.table));
}

/** The invariant suites a project config names, loaded and checked. */
import fs from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { requireInvariantSuite, type InvariantSuite } from '../parity/invariantSuite.js';
import { importModule } from './loadProjectConfig.js';
import type { ProjectConfig } from './projectConfig.js';

export async function loadInvariantSuites(config: ProjectConfig): Promise<InvariantSuite[]> {
  const suites: InvariantSuite[] = [];
  for (const [i, entry] of config.invariants.entries()) {
    const where = `${config.file ?? 'config'}: invariants.${i}`;
    if (typeof entry !== 'string') {
      suites.push(requireInvariantSuite(entry, where));
      continue;
    }
    if (!fs.existsSync(entry)) throw new ConfigError(where, `module ${entry} not found`);
    suites.push(requireInvariantSuite(await importModule(entry), `${where} (${entry})`));
  }
  const names = suites.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(`${config.file ?? 'config'}: invariants`, `two suites are named ${twice}`);
  return suites;
}

/** The application plug-in a project config names (`app`), loaded and checked. */
import fs from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { importModule } from '../config/loadProjectConfig.js';
import type { ProjectConfig } from '../config/projectConfig.js';
import { requireApplicationPlugin, type ApplicationPlugin } from './plugin.js';

export async function loadApplication(config: ProjectConfig): Promise<ApplicationPlugin | null> {
  const where = `${config.file ?? 'config'}: app`;
  if (config.app === null) return null;
  if (typeof config.app !== 'string') return requireApplicationPlugin(config.app, where);
  if (!fs.existsSync(config.app)) throw new ConfigError(where, `module ${config.app} not found`);
  let loaded: unknown;
  try {
    loaded = await importModule(config.app);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    // A module it imports is missing, or it throws while loading: name the key, not just the stack.
    throw new ConfigError(`${where} (${config.app})`, `cannot be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
  return requireApplicationPlugin(loaded, `${where} (${config.app})`);
}

type Part = 'createSchema' | 'sample' | 'http' | 'demoTraffic';

const PART_NAMES: Record<Part, string> = {
  createSchema: 'schema (createSchema)',
  sample: 'sample generator (sample)',
  http: 'HTTP API (http)',
  demoTraffic: 'demo traffic (demoTraffic)',
};

/**
 * The plug-in, which must have `parts`; otherwise a ConfigError naming the
 * config key to set and what the command needs from it.
 */
export async function requireApplication<P extends Part>(
  config: ProjectConfig,
  command: string,
  parts: readonly P[],
): Promise<ApplicationPlugin & Required<Pick<ApplicationPlugin, P>>> {
  const plugin = await loadApplication(config);
  const where = `${config.file ?? 'no config file'}: app`;
  if (!plugin)
    throw new ConfigError(
      where,
      `\`tandem ${command}\` runs an application: name its plug-in module in the project config's "app" key ` +
        '(examples/story-site/tandem.config.json does; see docs/configuration.md)',
    );
  const missing = parts.filter((part) => plugin[part] === undefined);
  if (missing.length > 0)
    throw new ConfigError(
      where,
      `the application plug-in "${plugin.name}" has no ${missing.map((m) => PART_NAMES[m]).join(', ')}, which \`tandem ${command}\` needs`,
    );
  return plugin as ApplicationPlugin & Required<Pick<ApplicationPlugin, P>>;
}

import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.ts';
import { crossCheck } from './cross-checks.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { configSchema } from './schema.ts';

/** Where the config lives unless `LEADSTAGE_CONFIG` says otherwise (relative to the working directory). */
export const DEFAULT_CONFIG_PATH = 'config/leadstage.yaml';

export type ConfigResult = { ok: true; config: LeadstageConfig } | { ok: false; error: ConfigError };

/** The line of the deepest node on `path` that exists (a missing key points at its parent). */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Parse and validate config text. `source` names the file in messages. */
export function parseConfig(text: string, source: string): ConfigResult {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => ({
      path: '',
      message: `YAML: ${e.message.split('\n')[0]}`,
      line: counter.linePos(e.pos[0]).line,
    }));
    return { ok: false, error: new ConfigError(source, issues) };
  }
  const parsed = configSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i): ConfigIssue => {
      const keys = i.code === 'unrecognized_keys' ? [...i.path, i.keys[0]!] : i.path;
      const line = lineOf(doc, counter, keys);
      return { path: formatPath(i.path), message: i.message, ...(line !== undefined ? { line } : {}) };
    });
    return { ok: false, error: new ConfigError(source, issues) };
  }
  const cross = crossCheck(parsed.data);
  if (cross.length > 0) {
    const issues = cross.map((c): ConfigIssue => {
      const line = lineOf(doc, counter, c.path);
      return { path: formatPath(c.path), message: c.message, ...(line !== undefined ? { line } : {}) };
    });
    return { ok: false, error: new ConfigError(source, issues) };
  }
  return { ok: true, config: parsed.data };
}

/** Read and validate the config file at `path`. */
export function loadConfigFile(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    return { ok: false, error: new ConfigError(path, [{ path: '', message: `cannot read the config: ${why}` }]) };
  }
  return parseConfig(text, path);
}

/** The config path from the environment, or the default. */
export function configPathFromEnv(env: NodeJS.ProcessEnv): string {
  return env['LEADSTAGE_CONFIG']?.trim() || DEFAULT_CONFIG_PATH;
}

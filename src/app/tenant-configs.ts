import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { formatIssue } from '../config/config-error.ts';
import { parseConfig } from '../config/load-config.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { Logger } from '../platform/logger.ts';
import { configVersion } from './config-source.ts';

/** A per-tenant config file checked like `leadstage check-config`: its absolute path and version. */
export type TenantConfigCheck =
  { ok: true; path: string; version: string; config: LeadstageConfig } | { ok: false; path: string; reason: string };

/**
 * Validate a tenant's config file exactly as check-config does, before it is stored. The stored
 * path is absolute (the CLI's working directory is not the worker's). With `dir`
 * (TENANT_CONFIG_DIR) a relative name is taken inside it and nothing outside it is accepted: an
 * HTTP route must not be a way to make the server read any file it can.
 */
export function checkTenantConfigFile(file: string, dir?: string): TenantConfigCheck {
  const path = dir ? resolve(dir, file) : resolve(file);
  if (dir) {
    const rel = relative(resolve(dir), path);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
      return { ok: false, path, reason: `not inside TENANT_CONFIG_DIR (${dir})` };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      path,
      reason: `cannot read the config: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (code ?? 'error')}`,
    };
  }
  const parsed = parseConfig(text, path);
  if (!parsed.ok) return { ok: false, path, reason: parsed.error.issues.map((i) => formatIssue(path, i)).join('; ') };
  return { ok: true, path, version: configVersion(text), config: parsed.config };
}

interface Loaded {
  config: LeadstageConfig;
  version: string;
  checkedAt: number;
  /** The version of an invalid text already reported (logged once, not on every recheck). */
  refused?: string;
}

export interface TenantConfigsOptions {
  /** Where refused reloads are reported (path, line, reason; never the file's content). */
  log?: Logger;
  /** A file is read again at most this often (default 1 s): jobs resolve it on every batch. */
  recheckMs?: number;
  now?: () => number;
}

/**
 * The per-tenant config files a process uses, each validated on first use and then re-read when
 * a job asks for it again (at most every `recheckMs`). As ConfigSource does for the main config:
 * a changed, valid file is used for new work from then on; an invalid or unreadable one is logged
 * and the last good one stays. Only a file that was never valid fails (the job retries).
 */
export class TenantConfigs {
  private readonly loaded = new Map<string, Loaded>();
  private readonly opts: TenantConfigsOptions;

  constructor(opts: TenantConfigsOptions = {}) {
    this.opts = opts;
  }

  /** The file's current good config and its version; throws the ConfigError of a file never valid. */
  resolve(file: string): { config: LeadstageConfig; version: string } {
    const now = (this.opts.now ?? Date.now)();
    const known = this.loaded.get(file);
    if (known && now - known.checkedAt < (this.opts.recheckMs ?? 1_000)) return known;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (!known)
        throw new Error(`tenant config ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      this.opts.log?.error(
        { path: file, keeping: known.version },
        'tenant config: cannot read the file; keeping the last good one',
      );
      known.checkedAt = now;
      return known;
    }
    const version = configVersion(text);
    if (known?.version === version || (known && known.refused === version)) {
      known.checkedAt = now;
      return known;
    }
    const parsed = parseConfig(text, file);
    if (!parsed.ok) {
      if (!known) throw parsed.error;
      for (const issue of parsed.error.issues)
        this.opts.log?.error({ problem: formatIssue(file, issue) }, 'tenant config reload refused');
      this.opts.log?.error({ path: file, keeping: known.version }, 'tenant config: invalid; keeping the last good one');
      known.checkedAt = now;
      known.refused = version;
      return known;
    }
    if (known) this.opts.log?.info({ path: file, from: known.version, to: version }, 'tenant config reloaded');
    const next = { config: parsed.config, version, checkedAt: now };
    this.loaded.set(file, next);
    return next;
  }
}

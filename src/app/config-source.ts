import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { formatIssue } from '../config/config-error.ts';
import { parseConfig } from '../config/load-config.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { Logger } from '../platform/logger.ts';

/** The short hash that identifies a config's text: logged and recorded with the plans it made. */
export function configVersion(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * The config a process works with, reloadable without a restart: on SIGHUP or when the file
 * changes, the new text is validated; if valid it is used for new work from then on (its version
 * logged), if not the old one stays and every problem is logged with its path and line.
 */
export class ConfigSource {
  readonly path: string;
  private config: LeadstageConfig;
  private ver: string;
  private readonly log: Logger;
  private readonly listeners: ((c: LeadstageConfig) => void)[] = [];

  constructor(path: string, initial: LeadstageConfig, log: Logger) {
    this.path = path;
    this.config = initial;
    this.log = log;
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // The caller validated this file a moment ago; a version of "" just means "unknown".
    }
    this.ver = configVersion(text);
  }

  get current(): LeadstageConfig {
    return this.config;
  }

  get version(): string {
    return this.ver;
  }

  /** Called with every new config that replaced the current one. */
  onChange(listener: (c: LeadstageConfig) => void): void {
    this.listeners.push(listener);
  }

  /** Validate the file again; switch to it if valid. Returns whether it switched. */
  reload(): boolean {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.log.error(
        { path: this.path, err: (err as Error).message },
        'config reload: cannot read the file; keeping the current config',
      );
      return false;
    }
    const version = configVersion(text);
    if (version === this.ver) return false;
    const parsed = parseConfig(text, this.path);
    if (!parsed.ok) {
      for (const issue of parsed.error.issues)
        this.log.error({ problem: formatIssue(this.path, issue) }, 'config reload refused');
      this.log.error(
        { path: this.path, problems: parsed.error.issues.length, keeping: this.ver },
        'config reload: invalid config; keeping the current one',
      );
      return false;
    }
    this.config = parsed.config;
    this.log.info({ path: this.path, from: this.ver, to: version }, 'config reloaded');
    this.ver = version;
    for (const l of this.listeners) l(parsed.config);
    return true;
  }

  /** Reload when the file changes (polled: survives editors that replace the file). Returns a stop. */
  watch(intervalMs = 1_000): () => void {
    const onChange = () => this.reload();
    watchFile(this.path, { interval: intervalMs, persistent: false }, onChange);
    return () => unwatchFile(this.path, onChange);
  }
}

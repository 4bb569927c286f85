import { formatIssue } from '../config/config-error.ts';
import { configPathFromEnv, loadConfigFile } from '../config/load-config.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { parseEnv, type Env } from '../platform/env.ts';
import type { Tenant } from '../platform/tenant.ts';

/** What a CLI command may touch, injected so tests run commands in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
  /** Where commands write files they are asked for (`simulate --html`); absent: the file system. */
  writeFile?: (path: string, text: string) => void;
  /** A terminal for redrawn progress bars (stderr when it is a TTY); absent: plain progress lines. */
  terminal?: NodeJS.WriteStream;
}

/** Exit codes: 0 ok, 1 the input (config, contact) is invalid, 2 the command line is wrong. */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** The config at `path`, or null after writing each problem as `file:line path: reason`. */
export function loadConfigOrReport(path: string, io: CliIo): LeadstageConfig | null {
  const loaded = loadConfigFile(path);
  if (loaded.ok) return loaded.config;
  for (const issue of loaded.error.issues) io.stderr(`${formatIssue(path, issue)}\n`);
  return null;
}

/**
 * The settings and the config a command that talks to Redis or a CRM needs, or null after
 * writing each problem (a bad variable, a config issue as `file:line path: reason`).
 */
export function loadEnvAndConfig(io: CliIo): { env: Env; config: LeadstageConfig } | null {
  const parsed = parseEnv(io.env, { web: false });
  if (!parsed.ok) {
    for (const e of parsed.errors) io.stderr(`${e}\n`);
    return null;
  }
  const config = loadConfigOrReport(configPathFromEnv(io.env), io);
  return config ? { env: parsed.env, config } : null;
}

/** A `crm:accountId` argument (e.g. `hubspot:62515`) as a tenant, or null when it is not one. */
export function tenantArg(text: string | undefined): Tenant | null {
  const m = /^([a-z][a-z0-9_-]*):([A-Za-z0-9]+)$/.exec(text ?? '');
  return m ? { crm: m[1]!, id: m[2]! } : null;
}

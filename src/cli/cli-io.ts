import { formatIssue } from '../config/config-error.ts';
import { loadConfigFile } from '../config/load-config.ts';
import type { LeadstageConfig } from '../core/model.ts';

/** What a CLI command may touch, injected so tests run commands in-process. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  readFile: (path: string) => string;
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

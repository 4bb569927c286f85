/** One problem in the config file: where it is and what is wrong. */
export interface ConfigIssue {
  /** Dotted path in the document, e.g. `engagement.rules[2].activity` (empty for the root). */
  path: string;
  message: string;
  /** 1-based line in the file, when the location could be found. */
  line?: number;
}

/** The config file cannot be used. The service refuses to start with this error. */
export class ConfigError extends Error {
  readonly file: string;
  readonly issues: readonly ConfigIssue[];

  constructor(file: string, issues: readonly ConfigIssue[]) {
    super(`invalid config ${file}:\n${issues.map((i) => `  ${formatIssue(file, i)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line !== undefined ? `${file}:${issue.line}` : file;
  return `${where} ${issue.path || '(root)'}: ${issue.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

import { formatIssue } from '../config/config-error.ts';
import { configPathFromEnv, loadConfigFile } from '../config/load-config.ts';
import { objectMappings } from '../core/crm-mapping.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { EXIT, type CliIo } from './cli-io.ts';

export function summarizeConfig(path: string, c: LeadstageConfig): string {
  const crms = objectMappings(c).map((m) => (m.objectType ? `${m.crm}.${m.objectType}` : m.crm));
  const activeOwners = c.assignment.owners.filter((o) => o.active).length;
  return (
    `${path}: OK — ${c.engagement.rules.length} activity rules, ${c.engagement.propertyRules.length} property rules, ` +
    `${c.fit.rules.length} fit rules, grades ${c.fit.grades.map((g) => g.grade).join('/')}, ` +
    `${c.lifecycle.stages.length} stages (regression: ${c.lifecycle.regression}), ${c.tasks.length} task rules, ` +
    `${activeOwners}/${c.assignment.owners.length} active owners in ${c.assignment.pools.length} pools, ` +
    `CRMs: ${crms.join(', ') || 'none'}`
  );
}

/** `leadstage check-config [path]`: exit 0 with a one-line summary, or 1 with every problem. */
export function checkConfigCommand(args: string[], io: CliIo): number {
  if (args.length > 1) {
    io.stderr('usage: leadstage check-config [path]\n');
    return EXIT.usage;
  }
  const path = args[0] ?? configPathFromEnv(io.env);
  const result = loadConfigFile(path);
  if (!result.ok) {
    io.stderr(
      `${path}: invalid config (${result.error.issues.length} problem${result.error.issues.length === 1 ? '' : 's'})\n`,
    );
    for (const issue of result.error.issues) io.stderr(`  ${formatIssue(path, issue)}\n`);
    return EXIT.invalid;
  }
  io.stdout(summarizeConfig(path, result.config) + '\n');
  return EXIT.ok;
}

import { parseArgs } from 'node:util';
import { configPathFromEnv } from '../config/load-config.ts';
import { planContact } from '../core/plan-contact.ts';
import { EXIT, loadConfigOrReport, type CliIo } from './cli-io.ts';
import { formatPlan } from './format-plan.ts';
import { contactProblems } from './check-contact.ts';
import { parseContactFile } from './load-contact-file.ts';

const USAGE = 'usage: leadstage score <contact.json> [--now ISO] [--json] [--config path]\n';

/**
 * `leadstage score`: the plan for one contact, as a table or as JSON. `now` defaults to the
 * wall clock here, at the edge; the core itself never reads a clock.
 */
export function scoreCommand(args: string[], io: CliIo, clock: () => Date): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { now: { type: 'string' }, json: { type: 'boolean', default: false }, config: { type: 'string' } },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const now = parsed.values.now !== undefined ? new Date(parsed.values.now) : clock();
  if (Number.isNaN(now.getTime())) {
    io.stderr(`--now: "${parsed.values.now}" is not a date; use ISO 8601, e.g. 2026-11-23T14:00:00Z\n`);
    return EXIT.usage;
  }

  const config = loadConfigOrReport(parsed.values.config ?? configPathFromEnv(io.env), io);
  if (!config) return EXIT.invalid;

  let text: string;
  try {
    text = io.readFile(file);
  } catch (err) {
    io.stderr(`${file}: cannot read contact JSON: ${(err as Error).message}\n`);
    return EXIT.invalid;
  }
  const parsedContact = parseContactFile(file, text);
  if (!parsedContact.ok) {
    for (const e of parsedContact.errors) io.stderr(`${e}\n`);
    return EXIT.invalid;
  }
  const problems = contactProblems(parsedContact.input, config);
  if (problems.length) {
    for (const p of problems) io.stderr(`${file} ${p}\n`);
    return EXIT.invalid;
  }
  const { contact, activities, assignment } = parsedContact.input;
  const result = planContact({ contact, activities, config: config, now, ...(assignment ? { assignment } : {}) });
  if (!result.ok) {
    io.stderr(`${file}: ${result.error.message}\n`);
    return EXIT.invalid;
  }
  io.stdout(
    parsed.values.json
      ? JSON.stringify(result.plan, null, 2) + '\n'
      : formatPlan(result.plan, config.businessHours.timezone),
  );
  return EXIT.ok;
}

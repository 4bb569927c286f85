import { readFileSync, writeFileSync } from 'node:fs';
import { checkConfigCommand } from './check-config.ts';
import { EXIT, type CliIo } from './cli-io.ts';
import { scoreCommand } from './score.ts';
import { deadLetterCommand } from './dead-letter.ts';
import { explainCommand } from './explain.ts';
import { replayCommand } from './replay.ts';
import { ownersCommand } from './owners.ts';
import { rescoreCommand } from './rescore.ts';
import { simulateCommand } from './simulate.ts';
import { connectCommand, keysCommand, tenantsCommand } from './tenants.ts';
import { setupCommand } from './setup.ts';

const HELP = `leadstage — lead scoring, lifecycle stages and SLA tasks for HubSpot and Salesforce

Commands
  check-config [path]                          validate the config (default: $LEADSTAGE_CONFIG or config/leadstage.yaml)
  score <contact.json> [--now ISO] [--json]    the plan for one contact (see README: "Contact JSON")
        [--config path]
  setup hubspot [--config path]                create leadstage's contact properties in HubSpot if missing
                                               (HUBSPOT_ACCESS_TOKEN; safe to run twice)
  rescore <crm:accountId> [--restart] [--every N] [--json]
                                               rescore every contact of the account (after a config
                                               change): one read per page, writes only what changed;
                                               resumes after a stop; yields to live work
  simulate --config <new.yaml> [--tenant <crm:accountId>] [--sample N] [--json] [--html report.html]
                                               what a new config would change (scores, stages, tasks,
                                               CRM calls) on an account's contacts; read-only
  dead-letter list|show|retry|discard --tenant <crm:id> [--id <type:id>]... [--json]
                                               records the CRM refused for good: see, retry or drop them
  explain <crm:accountId> <[type:]contactId> [--json]
                                               why a contact has its score: read from the CRM, every rule
  replay <crm:accountId> --since <time|6h|2d> [--max N] [--json]
                                               re-queue the contacts the CRM modified since then
  owners list|away|back [<ownerKey>] [--until <date|time>]
                                               who the rotation skips: config away days, short-notice marks
  tenants list|show|pause|resume|remove [<crm:id>] [--json]
                                               installed accounts (connected app), never their tokens
  connect hubspot|salesforce [--sandbox]       the install URL of this deployment (PUBLIC_BASE_URL)
  keys rotate                                  re-seal every tenant's tokens with the current key
`;

/** Run one CLI command; returns the exit code (a promise for commands that call a CRM). */
export function main(argv: string[], io: CliIo, clock: () => Date = () => new Date()): number | Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'check-config':
      return checkConfigCommand(rest, io);
    case 'score':
      return scoreCommand(rest, io, clock);
    case 'setup':
      return setupCommand(rest, io);
    case 'rescore':
      return rescoreCommand(rest, io);
    case 'simulate':
      return simulateCommand(rest, io, clock);
    case 'dead-letter':
      return deadLetterCommand(rest, io);
    case 'tenants':
      return tenantsCommand(rest, io);
    case 'explain':
      return explainCommand(rest, io, clock);
    case 'replay':
      return replayCommand(rest, io, clock);
    case 'owners':
      return ownersCommand(rest, io, clock);
    case 'connect':
      return connectCommand(rest, io);
    case 'keys':
      return keysCommand(rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      io.stderr(`unknown command "${command}"\n\n${HELP}`);
      return EXIT.usage;
  }
}

/** Entry point for the `leadstage` bin: real process, real clock. */
export async function runFromProcess(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    readFile: (p) => readFileSync(p, 'utf8'),
    writeFile: (p, text) => writeFileSync(p, text),
    ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
  });
}

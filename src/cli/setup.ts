import { Client } from '@hubspot/api-client';
import { parseArgs } from 'node:util';
import { configPathFromEnv } from '../config/load-config.ts';
import { checkHubSpotSetup, setupHubSpot } from '../crm/hubspot/hubspot-setup.ts';
import { EXIT, loadConfigOrReport, type CliIo } from './cli-io.ts';

const USAGE =
  'usage: leadstage setup hubspot [--config path]   (needs HUBSPOT_ACCESS_TOKEN; HUBSPOT_API_BASE_URL optional)\n';

/** `leadstage setup hubspot`: create leadstage's contact properties where missing; safe to re-run. */
export async function setupCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'hubspot') {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const token = io.env['HUBSPOT_ACCESS_TOKEN'];
  if (!token) {
    io.stderr(`HUBSPOT_ACCESS_TOKEN is required (a private-app token with crm.schemas.contacts.write)\n${USAGE}`);
    return EXIT.usage;
  }
  const configPath = parsed.values.config ?? configPathFromEnv(io.env);
  const config = loadConfigOrReport(configPath, io);
  if (!config) return EXIT.invalid;
  if (!config.crm.hubspot) {
    io.stderr(`${configPath}: no crm.hubspot section; nothing to set up\n`);
    return EXIT.invalid;
  }
  const base = io.env['HUBSPOT_API_BASE_URL'];
  const client = new Client({ accessToken: token, numberOfApiCallRetries: 3, ...(base ? { basePath: base } : {}) });
  try {
    for (const line of await setupHubSpot(client, config)) io.stdout(`${line}\n`);
    const problems = await checkHubSpotSetup(client, config);
    for (const p of problems) io.stderr(`${configPath}: ${p}\n`);
    if (problems.length === 0)
      io.stdout('lifecycle stages and lead statuses: every mapped value exists in the portal\n');
    return problems.length ? EXIT.invalid : EXIT.ok;
  } catch (err) {
    const e = err as { code?: number; body?: unknown; message?: string };
    io.stderr(
      `HubSpot refused the setup${e.code ? ` (${e.code})` : ''}: ${typeof e.body === 'object' && e.body && 'message' in e.body ? String((e.body as { message: unknown }).message) : e.message}\n`,
    );
    return EXIT.invalid;
  }
}

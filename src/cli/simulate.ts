import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summarizeSimulation, type SimulationReport } from '../../jobs/simulate-config.ts';
import { simulateTenant } from '../../jobs/simulate-tenant.ts';
import { CRMS } from '../app/crm-registry.ts';
import { formatIssue } from '../config/config-error.ts';
import { loadConfigFile } from '../config/load-config.ts';
import { crmOwnerId } from '../core/crm-mapping.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';
import { LOW_PRIORITY_SHARE } from '../store/rate-limiter.ts';
import { EXIT, loadEnvAndConfig, tenantArg, type CliIo } from './cli-io.ts';
import { formatSimulation } from './format-simulation.ts';
import { simulationHtml } from './simulate-html.ts';
import { openSource, type OpenSource } from './simulate-source.ts';

const USAGE =
  'usage: leadstage simulate --config <new.yaml> [--tenant <crm:accountId>] [--sample N] [--json] [--html report.html]\n' +
  "  what a new config would do to an account's contacts — scores, stage moves, tasks, CRM calls — without writing anything\n";

/** `--sample N`: a positive whole number, or null when it is not one. */
function sampleArg(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The new config, or null after writing every problem as check-config does (`file:line path: reason`). */
function loadNewConfig(path: string, io: CliIo): LeadstageConfig | null {
  const r = loadConfigFile(path);
  if (r.ok) return r.config;
  io.stderr(`${path}: invalid config (${r.error.issues.length} problem${r.error.issues.length === 1 ? '' : 's'})\n`);
  for (const issue of r.error.issues) io.stderr(`  ${formatIssue(path, issue)}\n`);
  return null;
}

/** Owner id in this CRM → the config's owner key (the new config's name wins). */
function ownerNames(configs: readonly LeadstageConfig[], crm: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of configs)
    for (const o of c.assignment.owners) {
      const id = crmOwnerId(o, crm);
      if (id) out.set(id, o.key);
    }
  return out;
}

/**
 * `leadstage simulate --config <new.yaml>`: read the account's contacts page by page, plan each
 * with the current and the new config, and report what applying the new one would change and
 * cost. Read-only: nothing goes to the CRM, and Redis is read without trimming or committing.
 */
export async function simulateCommand(
  args: string[],
  io: CliIo,
  clock: () => Date,
  open: OpenSource = openSource,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        tenant: { type: 'string' },
        sample: { type: 'string' },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
      },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values } = parsed;
  const asked = values.tenant === undefined ? null : tenantArg(values.tenant);
  const sample = sampleArg(values.sample);
  const badTenant = values.tenant !== undefined && (!asked || !CRMS.some((c) => c.kind === asked.crm));
  if (!values.config || badTenant || sample === null || values.html === '') {
    io.stderr(sample === null ? `--sample: not a positive whole number: ${values.sample}\n${USAGE}` : USAGE);
    return EXIT.usage;
  }
  const loaded = loadEnvAndConfig(io);
  if (!loaded) return EXIT.invalid;
  const next = loadNewConfig(values.config, io);
  if (!next) return EXIT.invalid;

  const source = await open(io, { ...loaded, next }, asked);
  if (!source) return EXIT.invalid;
  try {
    const { tenant, current } = source;
    if (!next.crm[tenant.crm]) {
      io.stderr(
        `${values.config}: crm.${tenant.crm}: the new config has no mapping for ${tenant.crm}; it would stop serving ${tenantKey(tenant)}\n`,
      );
      return EXIT.invalid;
    }
    const now = clock();
    const result = await simulateTenant(tenant, { ...source.deps, current, next, now, ...(sample ? { sample } : {}) });
    const batch = source.deps.crm.batchLimits?.write ?? 100;
    const stages = [
      ...next.lifecycle.stages,
      ...current.lifecycle.stages.filter((s) => !next.lifecycle.stages.includes(s)),
    ];
    const report = summarizeSimulation(result.contacts, {
      stages,
      ownerNames: ownerNames([current, next], tenant.crm),
      // As the rescore makes them: the same listing and owner reads as this run, writes and task
      // creations by the adapter's write batch size.
      cost: {
        readCalls: result.crmCalls,
        writeBatch: batch,
        taskBatch: batch,
        limit: source.quota,
        rescoreMax: Math.max(1, Math.floor(source.quota.max * LOW_PRIORITY_SHARE)),
      },
    });
    const sampled = sample ? ` (sample of at most ${sample})` : '';
    const title = `Simulation of ${values.config} on ${tenantKey(tenant)}: ${report.contacts} contact(s)${sampled}`;
    output(io, report, {
      tenant,
      config: values.config,
      now,
      sample: sample ?? null,
      crmCalls: result.crmCalls,
      title,
      json: values.json,
    });
    if (values.html) {
      (io.writeFile ?? writeFileSync)(values.html, simulationHtml(report, { title, generatedAt: now.toISOString() }));
      if (!values.json) io.stdout(`\nwrote ${values.html}\n`);
    }
    return EXIT.ok;
  } finally {
    await source.close();
  }
}

interface OutputMeta {
  tenant: Tenant;
  config: string;
  now: Date;
  sample: number | null;
  crmCalls: number;
  title: string;
  json: boolean;
}

function output(io: CliIo, report: SimulationReport, o: OutputMeta): void {
  if (o.json) {
    const meta = {
      tenant: tenantKey(o.tenant),
      config: o.config,
      now: o.now.toISOString(),
      sample: o.sample,
      crmCallsMade: o.crmCalls,
    };
    io.stdout(`${JSON.stringify({ ...meta, ...report }, null, 2)}\n`);
  } else {
    io.stdout(
      formatSimulation(report, `${o.title} at ${o.now.toISOString()} (read-only: ${o.crmCalls} CRM call(s) made)`),
    );
  }
}

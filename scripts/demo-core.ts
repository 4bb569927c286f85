// npm run demo (for now): plans for the sample personas in test/fixtures/contacts with the
// shipped config, at a fixed Monday-morning clock. It exercises the pure core only; the full
// webhook → queue → CRM pipeline against a sandbox CRM is not built yet.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseContactFile } from '../src/cli/load-contact-file.ts';
import { configPathFromEnv, loadConfigFile } from '../src/config/load-config.ts';
import { planContact } from '../src/core/plan-contact.ts';

const dir = process.argv[2] ?? 'test/fixtures/contacts';
const now = new Date(process.argv[3] ?? '2026-11-23T15:00:00Z');
const configPath = configPathFromEnv(process.env);
const loaded = loadConfigFile(configPath);
if (!loaded.ok) {
  console.error(loaded.error.message);
  process.exit(1);
}

const rows: string[][] = [['persona', 'crm', 'score', 'fit', 'grade', 'stage', 'status', 'owner', 'task due (SLA)']];
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  const parsed = parseContactFile(file, readFileSync(join(dir, file), 'utf8'));
  if (!parsed.ok) {
    console.error(parsed.errors.join('\n'));
    process.exit(1);
  }
  const { contact, activities, assignment } = parsed.input;
  const r = planContact({ contact, activities, config: loaded.config, now, ...(assignment ? { assignment } : {}) });
  if (!r.ok) throw new Error(r.error.message);
  const p = r.plan;
  const stage = p.stage.changed ? `${p.stage.from ?? '-'} → ${p.stage.to}` : `${p.stage.to ?? '-'}`;
  const task = p.tasks.map((t) => `${t.dueAt.slice(5, 16).replace('T', ' ')}Z (${t.slaRuleId})`).join('; ') || '-';
  rows.push([
    file.replace('.json', ''),
    `${p.contact.crm}/${p.contact.objectType}`,
    String(p.score.total),
    String(p.score.fit),
    p.grade,
    stage,
    p.leadStatus ?? '-',
    p.owner?.ownerKey ?? '-',
    task,
  ]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`leadstage core demo — config ${configPath}, now ${now.toISOString()}\n`);
for (const r of rows)
  console.log(
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
console.log(
  '\nOne contact in detail:  npx leadstage score test/fixtures/contacts/demo-request-vp.json --now 2026-11-23T14:04:00Z',
);

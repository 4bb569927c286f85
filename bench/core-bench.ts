// npm run bench:core — plans per second for one contact with 200 activities on the shipped
// config. Deterministic input (seeded), wall-clock measurement over several rounds; reports the
// median round so one GC pause does not decide the figure.
import { loadConfigFile } from '../src/config/load-config.ts';
import type { LeadstageConfig } from '../src/config/schema.ts';
import { planContact } from '../src/core/plan-contact.ts';
import type { Activity, ContactSnapshot } from '../src/core/types.ts';

export interface CoreBenchOptions {
  activities: number;
  roundMs: number;
  rounds: number;
}

export interface CoreBenchResult {
  label: string;
  medianPlansPerSec: number;
  rounds: number[];
}

function fixture(n: number): { activities: Activity[]; contact: ContactSnapshot; now: Date } {
  let seed = 42;
  const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const types = [
    'email_open',
    'email_click',
    'page_view',
    'page_view',
    'content_download',
    'webinar_attended',
    'form_submission',
    'email_reply',
    'unsubscribe',
    'demo_request',
  ];
  const now = new Date('2026-11-23T15:00:00Z');
  const activities = Array.from({ length: n }, (_, i) => ({
    id: `a${i}`,
    type: types[Math.floor(rand() * types.length)]!,
    at: now.getTime() - Math.floor(rand() * 300) * 86_400_000,
    attributes: {
      url: rand() < 0.3 ? 'https://example.com/pricing' : 'https://example.com/blog',
      formName: 'Contact us',
    },
  }));
  const contact: ContactSnapshot = {
    crm: 'hubspot',
    objectType: 'contact',
    id: '1',
    stage: 'lead',
    leadStatus: null,
    ownerId: null,
    fields: {
      email: 'a@acme.io',
      jobTitle: 'VP Sales',
      industry: 'Software',
      employeeBand: '100-500',
      country: 'Germany',
      emailOpens: 12,
    },
  };
  return { activities, contact, now };
}

export function runCoreBench(config: LeadstageConfig, opts: CoreBenchOptions): CoreBenchResult[] {
  const { activities, contact, now } = fixture(opts.activities);
  const steady: ContactSnapshot = { ...contact, stage: 'marketingqualifiedlead', leadStatus: 'new', ownerId: '1003' };
  const round = (who: ContactSnapshot): number => {
    let n = 0;
    const end = performance.now() + opts.roundMs;
    while (performance.now() < end) {
      for (let i = 0; i < 20; i++) {
        const r = planContact({ contact: who, activities, config, now });
        if (!r.ok) throw new Error(r.error.message);
      }
      n += 20;
    }
    return (n / opts.roundMs) * 1000;
  };
  return [
    ['steady state (already MQL)', steady],
    ['crossing into MQL (owner + task)', contact],
  ].map(([label, who]) => {
    round(who as ContactSnapshot); // warm-up: JIT, regex cache
    const rounds = Array.from({ length: opts.rounds }, () => round(who as ContactSnapshot)).sort((a, b) => a - b);
    return { label: label as string, medianPlansPerSec: rounds[Math.floor(rounds.length / 2)]!, rounds };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const loaded = loadConfigFile(process.env['LEADSTAGE_CONFIG'] ?? 'config/leadstage.yaml');
  if (!loaded.ok) throw loaded.error;
  const opts = {
    activities: Number(process.env['BENCH_ACTIVITIES'] ?? 200),
    roundMs: Number(process.env['BENCH_ROUND_MS'] ?? 1000),
    rounds: Number(process.env['BENCH_ROUNDS'] ?? 5),
  };
  console.log(
    `bench:core  one contact with ${opts.activities} activities, ${loaded.config.engagement.rules.length} activity rules, Node ${process.version}`,
  );
  for (const r of runCoreBench(loaded.config, opts)) {
    console.log(
      `  ${r.label.padEnd(34)} median ${Math.round(r.medianPlansPerSec).toLocaleString('en-US').padStart(7)} plans/s  ${(1e6 / r.medianPlansPerSec).toFixed(1).padStart(6)} µs/plan  (rounds: ${r.rounds.map(Math.round).join(', ')})`,
    );
  }
}

// npm run bench:core — plans per second for one contact with 200 activities on the shipped
// config. Deterministic input (seeded), wall-clock measurement over several rounds; reports the
// median round so one GC pause does not decide the figure.
import { loadConfigFile } from '../src/config/load-config.ts';
import { planContact } from '../src/core/plan-contact.ts';
import type { Activity, ContactSnapshot } from '../src/core/types.ts';

const ACTIVITIES = Number(process.env['BENCH_ACTIVITIES'] ?? 200);
const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

const loaded = loadConfigFile(process.env['LEADSTAGE_CONFIG'] ?? 'config/leadstage.yaml');
if (!loaded.ok) throw loaded.error;
const config = loaded.config;

let seed = 42;
const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
const types = ['email_open', 'email_click', 'page_view', 'page_view', 'content_download', 'webinar_attended', 'form_submission', 'email_reply', 'unsubscribe', 'demo_request'];
const now = new Date('2026-11-23T15:00:00Z');
const activities: Activity[] = Array.from({ length: ACTIVITIES }, (_, i) => ({
  id: `a${i}`,
  type: types[Math.floor(rand() * types.length)]!,
  at: now.getTime() - Math.floor(rand() * 300) * 86_400_000,
  attributes: { url: rand() < 0.3 ? 'https://example.com/pricing' : 'https://example.com/blog', formName: 'Contact us' },
}));
const contact: ContactSnapshot = {
  crm: 'hubspot', objectType: 'contact', id: '1', stage: 'lead', leadStatus: null, ownerId: null,
  fields: { email: 'a@acme.io', jobTitle: 'VP Sales', industry: 'Software', employeeBand: '100-500', country: 'Germany', emailOpens: 12 },
};

const steady: ContactSnapshot = { ...contact, stage: 'marketingqualifiedlead', leadStatus: 'new', ownerId: '1003' };

function round(who: ContactSnapshot): number {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) {
      const r = planContact({ contact: who, activities, config, now });
      if (!r.ok) throw new Error(r.error.message);
    }
    n += 50;
  }
  return (n / ROUND_MS) * 1000;
}

function measure(label: string, who: ContactSnapshot): void {
  round(who); // warm-up: JIT, regex cache
  const rates = Array.from({ length: ROUNDS }, () => round(who)).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  console.log(`  ${label.padEnd(34)} median ${Math.round(median).toLocaleString('en-US').padStart(7)} plans/s  ${(1e6 / median).toFixed(1).padStart(6)} µs/plan  (rounds: ${rates.map((r) => Math.round(r)).join(', ')})`);
}

console.log(`bench:core  one contact with ${ACTIVITIES} activities, ${config.engagement.rules.length} activity rules, Node ${process.version}`);
measure('steady state (already MQL)', steady);
measure('crossing into MQL (owner + task)', contact);

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseContactFile } from '../../src/cli/load-contact-file.ts';
import { planContact } from '../../src/core/plan-contact.ts';
import { defaultConfig, NOW } from '../helpers/fixtures.ts';

const config = defaultConfig();
const DIR = new URL('../fixtures/contacts/', import.meta.url);

// The sample personas (also used by `npm run demo`) on the shipped config, Monday 10:00 New York.
const personas: [
  file: string,
  grade: string,
  stage: string,
  status: string | null,
  owner: string | null,
  sla: string | null,
][] = [
  ['newsletter-subscriber', 'C', 'subscriber', null, null, null],
  ['white-paper-reader', 'A', 'lead', null, null, null],
  ['pricing-visitor', 'A', 'marketingqualifiedlead', 'new', 'rep-3', 'a-fit'],
  ['demo-request-vp', 'A', 'marketingqualifiedlead', 'new', 'rep-1', 'hot-inbound'],
  ['competitor', 'D', 'lead', 'unqualified', null, null],
  ['student', 'D', 'lead', 'nurture', null, null],
  ['poor-fit-company', 'D', 'lead', null, null, null],
  ['bant-qualified', 'A', 'salesqualifiedlead', null, 'rep-2', 'sql-standard'],
  ['customer', 'A', 'customer', null, null, null],
];

describe('sample personas', () => {
  it.each(personas)('%s', (file, grade, stage, status, owner, sla) => {
    const parsed = parseContactFile(file, readFileSync(new URL(`${file}.json`, DIR), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const r = planContact({ ...parsed.input, assignment: undefined, config, now: NOW });
    if (!r.ok) throw new Error(r.error.message);
    const p = r.plan;
    expect({
      grade: p.grade,
      stage: p.stage.to,
      status: p.leadStatus,
      owner: p.owner?.ownerKey ?? null,
      sla: p.tasks[0]?.slaRuleId ?? null,
    }).toEqual({ grade, stage, status, owner, sla });
    expect(p.tasks.length).toBe(sla ? 1 : 0);
  });
});

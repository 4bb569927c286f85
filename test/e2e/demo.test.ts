import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('npm run demo', () => {
  it('runs the whole pipeline against the sandbox, prints the tables and exits 0', () => {
    const r = spawnSync(process.execPath, ['scripts/demo.ts'], { cwd: ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env } });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^HubSpot \(portal 62515\)$/m);
    expect(out).toMatch(/^Salesforce \(org 00D5g000004Sxyz\)$/m);
    // The strong-fit VP who asked for a demo: MQL, new, owned, a high-priority task.
    expect(out).toMatch(/Dana Ortiz\s+Northwind Analytics\s+\d+\s+A\s+marketingqualifiedlead\s+NEW\s+100\d\s+HIGH /);
    // The competitor never reaches sales; the BANT-qualified Lead becomes an SQL with a task.
    expect(out).toMatch(/RivalScore\s+\d+\s+D\s+lead\s+UNQUALIFIED/);
    expect(out).toMatch(/Lead 00Q\w+\s+\w+ \w+\s+\d+\s+A\s+SQL\s+Open - Not Contacted\s+005000000000002AAA\s+High /);
    expect(out).toMatch(/POST \/crm\/v3\/objects\/contacts\/batch\/update/);
    expect(out).toMatch(/^Done in \d+\.\d s\./m);
  }, 100_000);
});

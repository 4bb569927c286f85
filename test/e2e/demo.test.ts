import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('npm run demo', () => {
  it('runs the whole pipeline against the sandbox, prints the tables and exits 0', () => {
    const r = spawnSync(process.execPath, ['scripts/demo.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 90_000,
      env: { ...process.env },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^HubSpot \(portal 62515\)$/m);
    expect(out).toMatch(/^Salesforce \(org 00D5g000004Sxyz\)$/m);
    // The connected app: two portals and one org installed through the OAuth routes; the second portal's
    // own config (MQL from 100) makes fewer MQLs from the same stream.
    expect(out).toMatch(
      /installed through \/oauth\/…\/install: HubSpot portals 62515 \(default config\) and 73001 \(enterprise\.yaml/,
    );
    const portals = /the same stream makes (\d+) MQLs instead of (\d+)/.exec(out);
    expect(portals, out).not.toBeNull();
    expect(Number(portals![1])).toBeLessThan(Number(portals![2]));
    // Each row names its persona and its owner; the rotation is seeded by the stream, so the same owners every run.
    expect(out).toMatch(
      /strong-fit VP, asked for a demo\s+Dana Ortiz\s+\d+\s+A\s+marketingqualifiedlead\s+NEW \(new\)\s+Avery Brooks\s+HIGH /,
    );
    // The competitor is disqualified at 0, not kept at its raw points; the student is nurtured (the CRM value and its meaning).
    expect(out).toMatch(/competitor\s+Lee Park\s+0\s+D\s+lead\s+UNQUALIFIED \(unqualified\)/);
    expect(out).toMatch(/student\s+Rana Ahmed\s+\d+\s+D\s+lead\s+OPEN \(nurture\)/);
    expect(out).toMatch(
      /BANT confirmed by sales\s+Lead Oscar Petrov\s+\d+\s+A\s+SQL\s+Open - Not Contacted \(new\)\s+Jordan Lee\s+High /,
    );
    expect(out).toMatch(/A score is points, not a percentage/);
    // Time on the worker's clock: an SLA missed (reminder, then reassignment), then decay and recycling.
    expect(out).toMatch(/Dana Ortiz's call task \(Avery Brooks\) is past due and open: priority high/);
    expect(out).toMatch(/still nobody called: reassigned to Jordan Lee/);
    expect(out).toMatch(/decay: [1-9]\d* scores written lower without any event/);
    expect(out).toMatch(/recycled: [1-9]\d* stale MQLs back to lead, status nurture/);
    expect(out).toMatch(/SLA: [1-9]\d* reminders, [1-9]\d* reassignments, [1-9]\d* escalations/);
    const summary =
      /^Scored (\d+) contacts: (\d+) MQLs, 1 SQL, (\d+) follow-up tasks; the stream cost (\d+) CRM calls, (\d+\.\d+)× the floor of (\d+), in \d+\.\d s\.$/m.exec(
        out,
      );
    expect(summary, out).not.toBeNull();
    const [, , , , calls, ratio, floor] = summary!;
    expect(Number(ratio)).toBeCloseTo(Number(calls) / Number(floor), 2);
    expect(out).toMatch(/^Done in \d+\.\d s\./m);
  }, 100_000);
});

import { describe, expect, it } from 'vitest';
import { runCallsBench } from '../../bench/calls-bench.ts';
import { runCoreBench } from '../../bench/core-bench.ts';
import { runLatency, runRescore, runThroughput } from '../../bench/pipeline-bench.ts';
import { runIngestBench } from '../../bench/ingest-bench.ts';
import { runDecayBench } from '../../bench/decay-bench.ts';
import { runReconcileBench } from '../../bench/reconcile-bench.ts';
import { runIsolationBench } from '../../bench/isolation-bench.ts';
import { runFloorBench } from '../../bench/rescore-bench.ts';
import { measureLatency } from '../../bench/rescore-latency.ts';
import { runSimulateBench } from '../../bench/simulate-bench.ts';
import { defaultConfig } from '../helpers/fixtures.ts';

// Smoke runs: the benchmarks still work end to end. They assert that work was done without
// errors, never how fast (speed goals are measured by `npm run bench:*`, not tested).
describe('benchmark smoke runs', () => {
  it('bench:core plans the fixture contact', () => {
    const results = runCoreBench(defaultConfig(), { activities: 50, roundMs: 20, rounds: 1 });
    expect(results.map((r) => r.label)).toEqual(['steady state (already MQL)', 'crossing into MQL (owner + task)']);
    for (const r of results) expect(r.medianPlansPerSec).toBeGreaterThan(0);
  });

  it('bench:ingest drives both servers with signed batches and gets no errors', async () => {
    const r = await runIngestBench({ durationMs: 300, rounds: 1, connections: 2, eventsPerRequest: 100, contacts: 10 });
    expect(r.ours.errors).toBe(0);
    expect(r.bare.errors).toBe(0);
    expect(r.ours.events).toBeGreaterThan(0);
    expect(r.bare.events).toBeGreaterThan(0);
    expect(Number.isFinite(r.ratio)).toBe(true);
  });

  it('bench:calls drains a small burst through the whole pipeline into the sandbox', async () => {
    const r = await runCallsBench({ events: 60, contacts: 20, batchWindowMs: 50 });
    expect(r.written).toBe(20);
    expect(r.calls['POST /crm/v3/objects/contacts/batch/read']).toBeGreaterThanOrEqual(1);
    expect(r.totalCalls).toBeGreaterThanOrEqual(r.floor);
  }, 30_000);

  it('bench:decay runs a small tenant through simulated days, writing only changes and reading nothing', async () => {
    const r = await runDecayBench({ contacts: 200, days: 10 });
    expect(r.scheduled).toBeGreaterThan(0);
    expect(r.changed).toBeGreaterThan(0);
    expect(r.reads).toBe(0);
    expect(r.calls).toBeGreaterThanOrEqual(r.floor);
  }, 60_000);

  it('bench:reconcile finds exactly the contacts changed without a webhook, a search page per 200', async () => {
    const r = await runReconcileBench({ contacts: 600, modified: 250 });
    expect(r).toMatchObject({ seen: 250, queued: 250, queuedExactly: true, calls: 2 });
  }, 60_000);

  it.each(['hubspot', 'salesforce'] as const)(
    'bench:rescore counts a %s rescore against its floor, all changed then a share',
    async (crm) => {
      const [all, share] = await runFloorBench(crm, 450);
      expect(all).toMatchObject({ read: 450, changed: 450 });
      expect(share).toMatchObject({ read: 450, changed: 45 });
      for (const r of [all!, share!]) expect(r.calls).toBeGreaterThanOrEqual(r.floor);
    },
    60_000,
  );

  it.each(['hubspot', 'salesforce'] as const)(
    'bench:simulate predicts the calls a %s rescore then makes',
    async (crm) => {
      const r = await runSimulateBench(crm, 300);
      expect(r.simCalls).toBeGreaterThan(0);
      expect(r.tasksCreated).toBeGreaterThan(0);
      expect(r.tasksPredicted).toBe(r.tasksCreated);
      expect(r.predicted).toBe(r.actual);
    },
    60_000,
  );

  it('bench:rescore measures live latency idle and during a rescore on a small portal', async () => {
    const r = await measureLatency({ rescoreContacts: 300, perSecond: 10, seconds: 1 });
    expect(r.idle.p99).toBeGreaterThan(0);
    expect(r.busy.p99).toBeGreaterThan(0);
    expect(r.rescore).toMatchObject({ read: 320, changed: 300 });
  }, 120_000);

  it('bench:pipeline runs its three measurements on a small portal', async () => {
    const t = await runThroughput(250);
    expect(t.calls).toBeGreaterThanOrEqual(6);
    expect(t.seconds).toBeGreaterThan(0);
    const l = await runLatency(50, 1);
    expect(l.p50Ms).toBeGreaterThan(0);
    expect(l.p99Ms).toBeGreaterThanOrEqual(l.p50Ms);
    const r = await runRescore(250);
    expect(r.queued).toBe(250);
    expect(r.calls).toBeGreaterThanOrEqual(6); // 3 list pages with properties, 3 writes (+ owners)
  }, 60_000);

  it('bench:isolation installs two portals, storms one and measures the other', async () => {
    const r = await runIsolationBench({ perSecond: 20, seconds: 1, rounds: 1, backlog: 50 });
    expect(r.idle.n).toBe(20);
    expect(r.storm.n).toBe(20);
    expect(r.storm429).toBeGreaterThan(0); // the storm really hit tenant A
    expect(r.b429).toBe(0); // and never tenant B
    expect(r.storm.p99Ms).toBeGreaterThanOrEqual(r.storm.p50Ms);
  }, 60_000);
});

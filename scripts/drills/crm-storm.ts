// Fault drill: a 30 s 429 storm, 30 % 5xx and 5 % calls that never answer, while HubSpot webhooks for
// a few hundred contacts stream in → every contact written, the quota never exceeded in any 10 s
// window, no duplicate task, 0 failed jobs.
//
//   node scripts/drills/crm-storm.ts [--contacts 300] [--seed 1] [--storm-s 30] [--error-rate 0.3]
//        [--timeout-rate 0.05] [--crm-timeout-ms 1500] [--stream-s 20] [--quota 110] [--timeout-s 300]
//        [--batch-size 10] [--redis-url URL]
//
// Sandbox CRM, web service and worker run in this process (the worker through startWorkerService).
// Recompute batches are small (10) by default so that the backlog left by the storm needs more than
// a window's quota of calls: the limiter, the 5xx retries and the hung calls then all meet the quota.
// The 5xx and hung-call rates hold for the whole run; the storm starts with the stream. Without
// --redis-url a private redis-server on a free port is used. Progress goes to stderr; one summary
// line to stdout; exit 1 when a goal is missed or the run exceeds --timeout-s.
import { startWebService } from '../../src/app/web-service.ts';
import { startWorkerService } from '../../src/app/worker-service.ts';
import { LOCAL } from '../../src/demo/pipeline.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import {
  describeState,
  fmt,
  Guard,
  HubSpotStream,
  loadConfig,
  maxInWindow,
  newPrefix,
  parseFlags,
  planEvents,
  populateSandbox,
  prng,
  PUBLIC_BASE_URL,
  startRedis,
  TENANT,
  stderrLogger,
  verdictFailures,
  verify,
  waitDrained,
  workState,
} from './drill-kit.ts';

const USAGE =
  'usage: node scripts/drills/crm-storm.ts [--contacts 300] [--seed 1] [--storm-s 30] [--error-rate 0.3] [--timeout-rate 0.05] [--crm-timeout-ms 1500] [--stream-s 20] [--quota 110] [--timeout-s 300] [--batch-size 10] [--redis-url redis://…]';
const flags = parseFlags(
  process.argv.slice(2),
  {
    contacts: 300,
    seed: 1,
    'storm-s': 30,
    'error-rate': 0.3,
    'timeout-rate': 0.05,
    'crm-timeout-ms': 1500,
    'stream-s': 20,
    quota: 110,
    'timeout-s': 300,
    'batch-size': 10,
    'redis-url': '',
  },
  USAGE,
);
const guard = new Guard('crm-storm', flags['timeout-s'] * 1000);
const pct = (n: number, of: number) => `${(of ? (100 * n) / of : 0).toFixed(1)} %`;

async function main(): Promise<void> {
  const rng = prng(flags.seed);
  const config = loadConfig();
  const prefix = newPrefix();
  const redisUrl = await startRedis(guard, flags['redis-url'], prefix);

  const sandbox = new SandboxCrm({ faults: { seed: flags.seed } });
  sandbox.hubspot.rateLimit = { max: flags.quota, windowMs: 10_000 };
  const ids = populateSandbox(sandbox, config, flags.contacts, rng);
  const initialStage = new Map(
    ids.map((id) => [id, sandbox.hubspot.contacts.get(id)!.properties['lifecyclestage'] ?? '']),
  );
  // Replies by status of the calls that got past the injected faults (the face's own 429s among them).
  const statuses = new Map<number, number>();
  const handle = sandbox.hubspot.handle.bind(sandbox.hubspot);
  sandbox.hubspot.handle = (...args) => {
    const reply = handle(...args);
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    return reply;
  };
  const crmUrl = await sandbox.start();
  guard.onCleanup('sandbox', () => sandbox.stop());

  const parsed = parseEnv({
    PORT: '0',
    REDIS_URL: redisUrl,
    PUBLIC_BASE_URL,
    LEADSTAGE_SOURCES: 'hubspot',
    HUBSPOT_CLIENT_SECRET: LOCAL.hubspotSecret,
    LEADSTAGE_REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    BATCH_WINDOW_MS: '250',
    HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
    HUBSPOT_API_BASE_URL: crmUrl,
    HUBSPOT_PORTAL_ID: LOCAL.portalId,
    CRM_TIMEOUT_MS: String(flags['crm-timeout-ms']),
    HUBSPOT_REQUESTS_PER_WINDOW: String(flags.quota),
    HUBSPOT_WINDOW_MS: '10000',
    SWEEP_STRANDED_MS: '5000',
    RECOMPUTE_BATCH_SIZE: String(flags['batch-size']),
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const log = stderrLogger('error'); // the storm makes many expected warnings; the drill counts them itself
  const web = await startWebService({ env: parsed.env, config, log });
  guard.onCleanup('web service', () => web.stop());
  const worker = await startWorkerService({ env: parsed.env, config, log });
  guard.onCleanup('worker', () => worker.stop());
  let failedAttempts = 0;
  const failReasons = new Map<string, number>();
  worker.worker.on('failed', (_job, err) => {
    failedAttempts += 1;
    const reason = err.message.replace(/\d+/g, 'N').slice(0, 120);
    failReasons.set(reason, (failReasons.get(reason) ?? 0) + 1);
  });

  const events = planEvents(ids, rng, Date.now());
  const stream = new HubSpotStream(sandbox, web.port);
  const t0 = Date.now();
  const stormUntil = t0 + flags['storm-s'] * 1000;
  sandbox.faults = { seed: flags.seed, errorRate: flags['error-rate'], timeoutRate: flags['timeout-rate'], stormUntil };
  let phase = 'streaming during the storm';
  const written = () =>
    ids.filter((id) => sandbox.hubspot.contacts.get(id)!.properties['leadstage_score'] !== undefined).length;
  guard.state = () =>
    `${phase}; ${fmt(stream.sent)}/${fmt(events.length)} events sent; ${written()}/${ids.length} written; ${fmt(sandbox.totalCalls)} CRM calls`;
  guard.log(
    `${ids.length} contacts, ${fmt(events.length)} events over ${flags['stream-s']} s; ${flags['storm-s']} s storm, ${flags['error-rate'] * 100} % 5xx, ${flags['timeout-rate'] * 100} % hung, CRM time-out ${flags['crm-timeout-ms']} ms (Redis prefix ${prefix})`,
  );
  await stream.paced(events, flags['stream-s'] * 1000, (sent) =>
    guard.log(
      `stream: ${fmt(sent)}/${fmt(events.length)} events; ${written()} written; ${fmt(sandbox.totalCalls)} calls (${sandbox.injected.storm} storm 429s)`,
    ),
  );
  guard.log(
    `stream done: ${fmt(stream.sent)} delivered, ${stream.undelivered} undelivered, ${stream.retries} webhook retries`,
  );
  phase = 'draining';
  await waitDrained(web, prefix, guard);
  const drainedS = (Date.now() - t0) / 1000;

  phase = 'verifying';
  const state = await workState(web, prefix);
  const failedJobs = state.jobs['failed'] ?? 0;
  const v = verify(sandbox, config, stream.truth, ids, initialStage, new Date());
  const peak = maxInWindow(sandbox.callTimes);
  const calls = sandbox.callTimes.length;
  const face429 = statuses.get(429) ?? 0;
  const all429 = sandbox.injected.storm + face429;
  const deadLetters = await worker.deadLetters.list(TENANT);
  guard.log(
    `drained at ${drainedS.toFixed(1)} s; calls ${fmt(calls)}: storm 429 ${sandbox.injected.storm}, quota 429 ${face429}, 5xx ${sandbox.injected.errors}, hung ${sandbox.injected.timeouts}, answered ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}; by route ${[...sandbox.calls].map(([r, n]) => `${r.replace('/crm/v3/objects/', '')} ${n}`).join(', ')}`,
  );
  guard.log(
    `max ${peak.max} calls in a 10 s window starting ${((peak.at - t0) / 1000).toFixed(1)} s; ${failedAttempts} failed attempts (retried): ${[...failReasons].map(([r, n]) => `${n}× ${r}`).join(' | ') || 'none'}; ${v.tasks} tasks, ${v.mqls} MQLs, ${v.ownerMismatch} tasks whose owner ≠ contact owner; ${deadLetters.length} dead letters${deadLetters.length ? ` (${deadLetters[0]!.reason})` : ''}`,
  );
  for (const w of v.wrong.slice(0, 10)) guard.log(`wrong: contact ${w.id}: ${w.detail}`);

  const problems = verdictFailures(v);
  if (peak.max > flags.quota) problems.push(`quota exceeded: ${peak.max} calls in 10 s`);
  if (failedJobs) problems.push(`${failedJobs} failed jobs`);
  if (stream.undelivered) problems.push(`${stream.undelivered} events undelivered`);
  if (
    !sandbox.injected.storm ||
    (flags['error-rate'] > 0 && !sandbox.injected.errors) ||
    (flags['timeout-rate'] > 0 && !sandbox.injected.timeouts)
  )
    problems.push('the faults were not all injected');
  if (state.busy) problems.push(`not drained: ${describeState(state)}`);
  const w = written();
  const line =
    `crm-storm: ${ids.length} contacts written ${w}/${ids.length}, ${v.wrong.length} wrong, max ${peak.max} calls in any 10 s (quota ${flags.quota}), ` +
    `${v.duplicateTasks} duplicate tasks, ${v.missingTasks.length} missing tasks, ${v.tasks} tasks (${v.ownerMismatch} owned by another rep than their contact), ${failedJobs} failed jobs, ` +
    `429s ${pct(all429, calls)} of ${fmt(calls)} calls, 5xx ${pct(sandbox.injected.errors, calls)} (${pct(sandbox.injected.errors, calls - sandbox.injected.storm - sandbox.injected.timeouts)} outside the storm), hung ${pct(sandbox.injected.timeouts, calls)}, drained in ${drainedS.toFixed(1)} s` +
    (problems.length ? ` — FAILED: ${problems.join('; ')}` : '');
  await guard.finish(line, problems.length === 0);
}

main().catch((err: Error) =>
  guard.finish(`crm-storm: FAILED, ${err.message.split('\n')[0]} (${guard.state()})`, false, err),
);

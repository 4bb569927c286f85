// Fault drill: SIGKILL the worker N times at random moments during a stream of HubSpot webhooks for
// M contacts → every contact ends with the score its events imply, none lost, no duplicate task.
//
//   node scripts/drills/kill-worker.ts [--kills 20] [--contacts 500] [--seed 1] [--stream-s 60]
//        [--timeout-s 300] [--lock-ms 2000] [--batch-size 50] [--max-uptime-ms 3000] [--crm-latency-ms 150]
//        [--redis-url URL]
//
// The sandbox CRM and the web service run in this process; the worker is a child process
// (`node src/app/main.ts worker`), killed with SIGKILL and restarted after a short random pause.
// Without --redis-url a private redis-server on a free port is used. Progress goes to stderr; one
// summary line to stdout; exit 1 when a goal is missed or the run exceeds --timeout-s.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startWebService, type WebService } from '../../src/app/web-service.ts';
import { LOCAL } from '../../src/demo/pipeline.ts';
import { parseEnv } from '../../src/platform/env.ts';
import { SandboxCrm } from '../../src/sandbox/sandbox-crm.ts';
import {
  describeState,
  fmt,
  Guard,
  stderrLogger,
  HubSpotStream,
  loadConfig,
  maxInWindow,
  newPrefix,
  parseFlags,
  planEvents,
  populateSandbox,
  prng,
  PUBLIC_BASE_URL,
  ROOT,
  sleep,
  startRedis,
  verdictFailures,
  verify,
  waitDrained,
  workState,
} from './drill-kit.ts';

const USAGE =
  'usage: node scripts/drills/kill-worker.ts [--kills 20] [--contacts 500] [--seed 1] [--stream-s 60] [--timeout-s 300] [--lock-ms 2000] [--batch-size 50] [--max-uptime-ms 3000] [--crm-latency-ms 150] [--redis-url redis://…]';
const flags = parseFlags(
  process.argv.slice(2),
  {
    kills: 20,
    contacts: 500,
    seed: 1,
    'stream-s': 60,
    'timeout-s': 300,
    'lock-ms': 2000,
    'batch-size': 50,
    'max-uptime-ms': 3000,
    'crm-latency-ms': 150,
    'redis-url': '',
  },
  USAGE,
);
const guard = new Guard('kill-worker', flags['timeout-s'] * 1000);

interface WorkerChild {
  n: number;
  child: ChildProcess;
  ready: Promise<boolean>;
  exited: Promise<void>;
  killedByUs: boolean;
}

async function main(): Promise<void> {
  const rng = prng(flags.seed);
  const config = loadConfig();
  const prefix = newPrefix();
  const redisUrl = await startRedis(guard, flags['redis-url'], prefix);

  // A little CRM latency (as a real API has) so that kills land inside batches and CRM calls.
  const sandbox = new SandboxCrm({ faults: { latencyMs: flags['crm-latency-ms'] } });
  let answered = 0;
  const handle = sandbox.hubspot.handle.bind(sandbox.hubspot);
  sandbox.hubspot.handle = (...args) => {
    answered += 1;
    return handle(...args);
  };
  const ids = populateSandbox(sandbox, config, flags.contacts, rng);
  const initialStage = new Map(
    ids.map((id) => [id, sandbox.hubspot.contacts.get(id)!.properties['lifecyclestage'] ?? '']),
  );
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
  });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const web: WebService = await startWebService({ env: parsed.env, config, log: stderrLogger('warn') });
  guard.onCleanup('web service', () => web.stop());

  // ── the worker, as a child process ──
  const workerEnv: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? '/tmp',
    REDIS_URL: redisUrl,
    LEADSTAGE_REDIS_PREFIX: prefix,
    HUBSPOT_ACCESS_TOKEN: 'pat-sandbox',
    HUBSPOT_API_BASE_URL: crmUrl,
    HUBSPOT_PORTAL_ID: LOCAL.portalId,
    // info: the drill reads "recompute worker running" (ready) and counts "recompute batch applied".
    LOG_LEVEL: 'info',
    WORKER_LOCK_MS: String(flags['lock-ms']),
    SWEEP_STRANDED_MS: '2000',
    RECOMPUTE_BATCH_SIZE: String(flags['batch-size']),
    BATCH_WINDOW_MS: '250',
    SHUTDOWN_TIMEOUT_MS: '3000',
  };
  let batches = 0;
  let jobFailures = 0;
  let unexpectedExits = 0;
  const warnings: string[] = [];
  let current: WorkerChild | undefined;
  let spawned = 0;
  const spawnWorker = (): WorkerChild => {
    const n = ++spawned;
    const child = spawn(process.execPath, ['src/app/main.ts', 'worker'], {
      cwd: ROOT,
      env: workerEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    guard.track(child);
    const w: WorkerChild = { n, child, killedByUs: false, ready: Promise.resolve(false), exited: Promise.resolve() };
    let onReady: (ok: boolean) => void = () => undefined;
    w.ready = new Promise<boolean>((r) => (onReady = r));
    w.exited = new Promise<void>((r) =>
      child.once('exit', (code, signal) => {
        onReady(false);
        if (!w.killedByUs) {
          unexpectedExits += 1;
          guard.log(
            `worker #${n} exited on its own (code ${code}, signal ${signal}); last warnings: ${warnings.slice(-3).join(' | ')}`,
          );
        }
        r();
      }),
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        let rec: { level?: number; msg?: string; err?: string } = {};
        try {
          rec = JSON.parse(line) as typeof rec;
        } catch {
          warnings.push(line.slice(0, 300));
          return;
        }
        if (rec.msg === 'recompute worker running') onReady(true);
        else if (rec.msg === 'recompute batch applied') batches += 1;
        else if (rec.msg === 'recompute job failed') jobFailures += 1;
        if ((rec.level ?? 0) >= 40)
          warnings.push(`#${n} ${rec.msg ?? ''}${rec.err ? `: ${rec.err}` : ''}`.slice(0, 300));
        if (warnings.length > 200) warnings.splice(0, warnings.length - 200);
      });
    }
    return w;
  };

  // ── the stream and the kills, side by side ──
  const events = planEvents(ids, rng, Date.now());
  const stream = new HubSpotStream(sandbox, web.port);
  const t0 = Date.now();
  let phase = 'streaming';
  let kills = 0;
  let killsMidJob = 0;
  let killsMidCall = 0;
  let killsDuringStream = 0;
  let streamDone = false;
  guard.state = () =>
    `${phase}; ${kills}/${flags.kills} kills; ${fmt(stream.sent)}/${fmt(events.length)} events sent; ${sandbox.hubspot.tasks.length} tasks; ${[...sandbox.hubspot.contacts.values()].filter((c) => c.properties['leadstage_score'] !== undefined).length}/${ids.length} contacts scored`;
  guard.log(
    `${ids.length} contacts, ${fmt(events.length)} events over ${flags['stream-s']} s, ${flags.kills} kills (seed ${flags.seed}, lock ${flags['lock-ms']} ms, Redis prefix ${prefix})`,
  );

  const streaming = stream
    .paced(events, flags['stream-s'] * 1000, (sent) =>
      guard.log(`stream: ${fmt(sent)}/${fmt(events.length)} events, ${kills} kills so far, ${batches} batches applied`),
    )
    .then(() => {
      streamDone = true;
      guard.log(
        `stream done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${fmt(stream.sent)} events delivered, ${stream.undelivered} undelivered, ${stream.retries} webhook retries`,
      );
    });

  const killing = (async () => {
    for (let k = 0; k < flags.kills; k++) {
      current = spawnWorker();
      if (!(await Promise.race([current.ready, sleep(30_000).then(() => false)])))
        throw new Error(`worker #${current.n} did not start within 30 s: ${warnings.slice(-5).join(' | ')}`);
      await sleep(100 + rng() * flags['max-uptime-ms']);
      const active = (await web.queues.recompute.getJobCounts('active'))['active'] ?? 0;
      // Requests that reached the sandbox and are not answered yet: they will complete without their client.
      const midCall = sandbox.callTimes.length - answered > 0;
      current.killedByUs = true;
      current.child.kill('SIGKILL');
      if (midCall) killsMidCall += 1;
      await current.exited;
      kills += 1;
      if (active > 0) killsMidJob += 1;
      if (!streamDone) killsDuringStream += 1;
      if (kills % 5 === 0 || kills === flags.kills)
        guard.log(
          `kill ${kills}/${flags.kills} (worker #${current.n}${active ? ', a job active' : ''}${midCall ? ', mid CRM call' : ''}); ${batches} batches applied so far`,
        );
      await sleep(100 + rng() * 1400);
    }
    current = spawnWorker(); // the survivor
    if (!(await Promise.race([current.ready, sleep(30_000).then(() => false)])))
      throw new Error('the last worker did not start within 30 s');
  })();
  await Promise.all([streaming, killing]);

  phase = 'draining';
  await waitDrained(web, prefix, guard);
  const drainedS = (Date.now() - t0) / 1000;
  phase = 'verifying';
  const state = await workState(web, prefix);
  const v = verify(sandbox, config, stream.truth, ids, initialStage, new Date());
  const peak = maxInWindow(sandbox.callTimes);
  guard.log(
    `drained at ${drainedS.toFixed(1)} s; ${batches} batches applied, ${jobFailures} job failures logged (retried), ${state.jobs['failed'] ?? 0} jobs failed for good, ${sandbox.totalCalls} CRM calls (max ${peak.max} in any 10 s), ${v.mqls} MQLs, ${v.ownerMismatch} tasks whose owner ≠ contact owner`,
  );
  for (const w of v.wrong.slice(0, 10)) guard.log(`wrong: contact ${w.id}: ${w.detail}`);
  if (v.lost.length) guard.log(`lost: ${v.lost.slice(0, 20).join(', ')}`);
  if (v.missingTasks.length) guard.log(`missing tasks: ${v.missingTasks.slice(0, 20).join(', ')}`);
  if (warnings.length) guard.log(`last worker warnings: ${warnings.slice(-5).join(' | ')}`);

  const problems = verdictFailures(v);
  if (kills < flags.kills) problems.push(`only ${kills} kills`);
  if (stream.undelivered) problems.push(`${stream.undelivered} events undelivered (webhook refused 8 times)`);
  if (unexpectedExits) problems.push(`${unexpectedExits} unexpected worker exits`);
  if (state.busy) problems.push(`not drained: ${describeState(state)}`);
  const line =
    `kill-worker: ${kills} kills (${killsMidJob} with a job active, ${killsMidCall} mid CRM call, ${killsDuringStream} during the stream), ${ids.length} contacts, ${fmt(stream.sent)} events, ` +
    `${v.lost.length} lost, ${v.wrong.length} wrong, ${v.duplicateTasks} duplicate tasks, ${v.missingTasks.length} missing tasks, ${v.tasks} tasks (${v.ownerMismatch} owned by another rep than their contact), ` +
    `${state.jobs['failed'] ?? 0} failed jobs, drained in ${drainedS.toFixed(1)} s` +
    (problems.length ? ` — FAILED: ${problems.join('; ')}` : '');
  await guard.finish(line, problems.length === 0);
}

main().catch((err: Error) =>
  guard.finish(`kill-worker: FAILED, ${err.message.split('\n')[0]} (${guard.state()})`, false, err),
);

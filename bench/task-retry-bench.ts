// npm run bench:task-retry — what one lost answer on task creation costs. The same burst as
// bench:calls (1,000 events over 300 contacts) runs twice: once clean, once with the first task
// batch-create answered 502 after HubSpot created the tasks. The retry must find those tasks with
// a batch-sized lookup (not a search per task), create nothing twice, and stay near normal time.
// Goal: ≤ 5 extra CRM calls and ≤ 2× the clean run's time.
import { runCallsBench } from './calls-bench.ts';

const events = Number(process.env['BENCH_EVENTS'] ?? 1000);
const contacts = Number(process.env['BENCH_CONTACTS'] ?? 300);
const clean = await runCallsBench({ events, contacts });
const lost = await runCallsBench({ events, contacts, faults: { lostTaskCreates: 1 } });
const extra = lost.totalCalls - clean.totalCalls;
// Includes the job's retry backoff (BullMQ exponential from 1 s, with jitter, so 0.5–1 s).
const ratio = lost.ms / clean.ms;
const ok = extra <= 5 && ratio <= 2 && lost.duplicateTasks === 0 && lost.tasks === clean.tasks;
console.log(
  `bench:task-retry  one lost task-create answer: ${extra} extra CRM calls (goal ≤ 5), ${lost.ms} ms vs ${clean.ms} ms clean ` +
    `(${ratio.toFixed(2)}×, the job's retry backoff included; goal ≤ 2×), tasks ${lost.tasks}/${clean.tasks}, duplicates ${lost.duplicateTasks}` +
    `${ok ? '' : '  NOT MET'}`,
);
if (!ok) process.exitCode = 1;

import { Presets, SingleBar } from 'cli-progress';
import type { RescoreProgress, RescoreSummary } from '../../jobs/rescore-tenant.ts';

/** Options of the rescore's progress output. */
export interface ProgressOptions {
  /** Where lines go (stderr, so stdout keeps the result alone). */
  write: (text: string) => void;
  /** A line every this many pages. */
  everyPages: number;
  /** Contacts the account has (the CRM's count), for the share done and the ETA; null: unknown. */
  total: number | null;
  label: string;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** "3m 58s", "1h 02m", "12s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * One plain line every N pages: contacts done (of the total), changed, CRM calls, rate and ETA — for
 * logs and pipes; a terminal gets `progressBar`. The rate counts this run's contacts only (a resumed
 * run starts past 0).
 */
export function progressLines(opts: ProgressOptions): (p: RescoreProgress) => void {
  return (p) => {
    if (p.pages % opts.everyPages !== 0) return;
    const rate = p.elapsedMs > 0 ? ((p.read - p.readBefore) * 1000) / p.elapsedMs : 0;
    const of = opts.total ? ` / ${int(opts.total)} (${Math.min(100, Math.floor((100 * p.read) / opts.total))} %)` : '';
    const eta =
      opts.total && rate > 0 ? `, ETA ${formatDuration((Math.max(0, opts.total - p.read) / rate) * 1000)}` : '';
    const counts = `${int(p.changed)} changed, ${int(p.crmCalls)} CRM calls, ${int(rate)} contacts/s`;
    opts.write(`${opts.label}: ${int(p.read)}${of} contacts read, ${counts}${eta}\n`);
  };
}

/**
 * A redrawn bar on a terminal (cli-progress): share done, contacts, changed, CRM calls, rate and
 * ETA, updated every page. `stop` leaves the last state on screen. Needs the account's total.
 */
export function progressBar(
  stream: NodeJS.WriteStream,
  total: number,
  label: string,
): { update: (p: RescoreProgress) => void; stop: () => void } {
  const bar = new SingleBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      etaBuffer: 20,
      format: `${label} [{bar}] {percentage}% | {value}/{total} contacts | {changed} changed | {calls} CRM calls | {rate}/s | ETA {eta_formatted}`,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const rate = p.elapsedMs > 0 ? ((p.read - p.readBefore) * 1000) / p.elapsedMs : 0;
      const payload = { changed: int(p.changed), calls: int(p.crmCalls), rate: int(rate) };
      if (!started) {
        bar.start(Math.max(total, p.read), p.readBefore, payload);
        started = true;
      }
      bar.setTotal(Math.max(total, p.read));
      bar.update(p.read, payload);
    },
    stop: () => bar.stop(),
  };
}

/** The final summary as the `--json` output: counts, calls against the floor, elapsed time. */
export function summaryJson(s: RescoreSummary, crmCalls: number) {
  return {
    tenant: s.tenant,
    contactsRead: s.read,
    changed: s.changed,
    shareChanged: s.read ? s.changed / s.read : 0,
    crmCalls,
    floor: s.floor,
    ratio: s.floor ? crmCalls / s.floor : null,
    elapsedMs: s.ms,
    tasksCreated: s.tasksCreated,
    deadLettered: s.deadLettered,
    handedOver: s.handedOver,
    gone: s.gone,
    resumedFrom: s.resumedFrom,
    stopped: s.stopped,
    stoppedAtQuotaShare: s.stoppedAtQuotaShare,
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type SourceLabel = 'hubspot' | 'hubspot-workflow' | 'salesforce' | 'salesforce-cdc' | 'events';

/** The service's Prometheus metrics, on a registry of its own (tests build several apps). */
export class Metrics {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'leadstage_events_received_total',
    help: 'Events received, per source',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'leadstage_events_accepted_total',
    help: 'Events durably queued',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'leadstage_events_duplicate_total',
    help: 'Events dropped as already queued',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly ignored = new Counter({
    name: 'leadstage_events_ignored_total',
    help: 'Events that need no work (echoes of our own writes, unsubscribed kinds)',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'leadstage_requests_rejected_total',
    help: 'Requests refused, per source and reason',
    labelNames: ['source', 'reason'],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'leadstage_http_request_duration_seconds',
    help: 'Webhook request latency',
    labelNames: ['route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly enqueueSeconds = new Histogram({
    name: 'leadstage_enqueue_duration_seconds',
    help: "Time to make one request's events durable",
    labelNames: ['source'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2],
    registers: [this.registry],
  });
  readonly jobs = new Counter({
    name: 'leadstage_jobs_total',
    help: 'Worker jobs by queue and outcome',
    labelNames: ['queue', 'outcome'],
    registers: [this.registry],
  });
  readonly contactsWritten = new Counter({
    name: 'leadstage_contacts_written_total',
    help: 'Contacts written to the CRM',
    labelNames: ['crm'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'leadstage_dead_lettered_total',
    help: 'Records the CRM refused for good',
    labelNames: ['crm'],
    registers: [this.registry],
  });
  readonly cdcGaps = new Counter({
    name: 'leadstage_cdc_gaps_total',
    help: 'Change Data Capture changes not read from the stream, left to the reconciliation sweep (replay id expired or refused, overflow, unreadable event)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly queueJobs = new Gauge({
    name: 'leadstage_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}

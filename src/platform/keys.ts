import { tenantKey, type Tenant } from './tenant.ts';

/** BullMQ queue names (BullMQ adds the prefix itself). */
export const QUEUE = {
  recompute: 'leadstage-recompute',
  resolve: 'leadstage-resolve',
  /** Time-driven work (sweeps), run by BullMQ job schedulers: once per interval for all workers. */
  maintenance: 'leadstage-maintenance',
} as const;

/** The hash-tag group of e-mail-addressed activities waiting to be resolved to contacts. */
export const EMAIL_GROUP = 'email';

/**
 * Every Redis key leadstage uses, and nothing else spells one. Per-tenant keys share a hash tag
 * ({hubspot:62515}) so a tenant's keys live in one cluster slot and multi-key scripts stay legal.
 * Keys carry ids only, never e-mails or names.
 */
export class Keys {
  readonly prefix: string;
  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** `prefix:{crm:id}`: the hash-tagged root of every key of a tenant. */
  tenantRoot(tenant: Tenant): string {
    return `${this.prefix}:{${tenantKey(tenant)}}`;
  }

  /** HASH activity id → JSON. */
  activities(tenant: Tenant, contactId: string): string {
    return `${this.tenantRoot(tenant)}:act:${contactId}`;
  }
  /** "deleted" or "privacy": the contact is gone; late events for it are dropped. */
  tombstone(tenant: Tenant, contactId: string): string {
    return `${this.tenantRoot(tenant)}:gone:${contactId}`;
  }
  /** SET of "objectType:id" awaiting recompute. */
  pending(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:pending`;
  }
  /** SET of "objectType:id" a recompute batch holds (resumed after a crash). */
  inflight(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:inflight`;
  }
  /** HASH for a CRM engagement seen before its contact is known (or the other way round). */
  engagement(tenant: Tenant, engagementId: string): string {
    return `${this.tenantRoot(tenant)}:eng:${engagementId}`;
  }
  /** Task idempotency ledger entry: "pending:<token>" while claimed, "done:<taskId>" once created. */
  task(tenant: Tenant, taskKey: string): string {
    return `${this.tenantRoot(tenant)}:task:${taskKey}`;
  }
  /** ZSET "objectType:id" → epoch ms at which decay next changes what the CRM shows (no timer jobs). */
  decaySchedule(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:decay`;
  }
  /** ZSET task key → epoch ms at which its next SLA escalation step fires. */
  slaSchedule(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:sla`;
  }
  /** HASH task key → the watched task (JSON SlaTask). */
  slaTasks(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:sla-tasks`;
  }
  /** HASH task key → owner key: tasks taken from an owner who was away, to give back on return. */
  slaLoans(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:sla-loans`;
  }
  /** The contact as leadstage last read and wrote it (JSON): decay replans from it without a read. */
  snapshot(tenant: Tenant, contactId: string): string {
    return `${this.tenantRoot(tenant)}:snap:${contactId}`;
  }
  /** A contact's score ledger: its last changes, newest first (a bounded list). */
  scoreLedger(tenant: Tenant, contactId: string): string {
    return `${this.tenantRoot(tenant)}:ledger:${contactId}`;
  }
  /** The reconciliation sweep's watermark: epoch ms of the last modification it has seen. */
  reconcileWatermark(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:reconcile-watermark`;
  }
  /** Lease of the one worker holding the org's Change Data Capture subscription (a token, with PX). */
  cdcLease(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:cdc-lease`;
  }
  /** HASH channel → "replayId@epochMs": the last CDC event (or keepalive) of the org made durable. */
  cdcReplay(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:cdc-replay`;
  }
  /** HASH stage → how often leadstage recorded this contact entering it. */
  stageEntries(tenant: Tenant, contactId: string): string {
    return `${this.tenantRoot(tenant)}:entries:${contactId}`;
  }
  /** ZSET of the tenant's CRM calls in the current window (the shared quota). */
  quota(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:quota`;
  }
  /** HASH max, windowMs: the tenant's rate limit as the CRM announced it in its headers. */
  quotaLimit(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:quota-limit`;
  }
  /** "used/limit" of the tenant's daily API quota, as the CRM last reported it. */
  quotaUsage(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:quota-usage`;
  }
  /** Epoch ms until which no worker calls this tenant's CRM (after a 429). */
  quotaPause(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:quota-pause`;
  }
  /** Set (with a TTL) while a live call of the tenant waits for a quota slot: low-priority work holds back. */
  quotaLiveWaiting(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:quota-live-waiting`;
  }
  /** JSON { cursor, read, … } of a rescore's last finished page: a crashed rescore resumes from it. */
  rescoreCursor(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:rescore-cursor`;
  }
  /** HASH id → JSON: records the CRM rejected for good, kept for the operator. */
  deadLetters(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:dead`;
  }
  /** The latest access token of a Salesforce org (refreshed by jsforce, persisted for restarts). */
  accessToken(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:access-token`;
  }
  /** The latest refresh token of a Salesforce org (rotated on every refresh by External Client Apps). */
  refreshToken(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:refresh-token`;
  }
  /**
   * HASH owner key → smooth weighted round-robin credit, plus "__v" (compare-and-set version). Per
   * tenant: two companies on one CRM have their own teams, and one's leads must not move the other's turn.
   */
  rotation(tenant: Tenant, poolId: string): string {
    return `${this.tenantRoot(tenant)}:rotation:${poolId}`;
  }

  /** HASH: an installed tenant's record (status, sealed credentials, instance URL, zone, tier, config). */
  tenantRecord(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:record`;
  }
  /** SET of "crm:id" of every installed tenant (the directory's index). */
  tenantIndex(): string {
    return `${this.prefix}:tenants`;
  }
  /** A pending OAuth install: JSON { crm, verifier?, loginUrl? }, deleted on first use (single-use state). */
  oauthState(stateId: string): string {
    return `${this.prefix}:oauth-state:${stateId}`;
  }
  /** Lock held by the worker refreshing a tenant's access token, so only one refreshes. */
  refreshLock(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:refresh-lock`;
  }
  /** Pattern of every key of one tenant (erasing an uninstalled tenant's data). */
  tenantPattern(tenant: Tenant): string {
    return `${this.tenantRoot(tenant)}:*`;
  }

  /** Activities addressed by e-mail hash, waiting to be resolved to CRM contacts. */
  unresolved(emailHash: string): string {
    return `${this.prefix}:{${EMAIL_GROUP}}:unresolved:${emailHash}`;
  }
  unresolvedPending(): string {
    return `${this.prefix}:{${EMAIL_GROUP}}:pending`;
  }
  unresolvedInflight(): string {
    return `${this.prefix}:{${EMAIL_GROUP}}:inflight`;
  }
  /**
   * Delivery ledger entry: "p:<token>" while claimed, "done" once queued. It lives under the same
   * hash tag as the data it guards (a tenant, or "email"), so claim and write are one script.
   */
  delivery(group: string, deliveryKey: string): string {
    return `${this.prefix}:{${group}}:dl:${deliveryKey}`;
  }
  /** SET of "crm:id" of every tenant with a decay schedule (so the decay sweep needs no SCAN). */
  decayTenants(): string {
    return `${this.prefix}:decay-tenants`;
  }
  /** SET of "crm:id" of every tenant with watched SLA tasks (the escalation sweep's list). */
  slaTenants(): string {
    return `${this.prefix}:sla-tenants`;
  }
  /** HASH owner key → epoch ms until which the owner is away (`leadstage owners away`). */
  ownersAway(): string {
    return `${this.prefix}:owners-away`;
  }
  /** SET of "crm:id" of every tenant that ever had recompute work (the stranded sweeper's list). */
  workTenants(): string {
    return `${this.prefix}:work-tenants`;
  }
  /** "crm:id" (a tenant index member) → the tenant. */
  static tenantOf(member: string): Tenant {
    const i = member.indexOf(':');
    return { crm: member.slice(0, i), id: member.slice(i + 1) };
  }
  /** The pattern of every key under this prefix (tests, benchmarks and the demo clean up with it). */
  all(): string {
    return `${this.prefix}:*`;
  }
}

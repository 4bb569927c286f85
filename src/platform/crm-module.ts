import type { Redis } from 'ioredis';
import type { LeadstageConfig } from '../core/model.ts';
import type { Clock } from './clock.ts';
import type { CrmPort } from './crm-port.ts';
import type { Env } from './env.ts';
import type { Keys } from './keys.ts';
import type { Logger } from './logger.ts';
import type { CredentialStore, OAuthProvider } from './oauth.ts';
import type { Metrics } from './metrics.ts';
import type { TenantRecord } from './tenant-directory.ts';
import type { IngressOp, Tenant } from './tenant.ts';

/** What a CRM module gets from the process that runs it. */
export interface CrmConnectorContext {
  env: Env;
  /** A connection that may wait (worker role): quota scripts and token storage run on it. */
  redis: Redis;
  keys: Keys;
  log: Logger;
  clock: Clock;
  /** Longest in-process wait for a quota slot; longer waits delay the job instead. */
  maxInlineWaitMs: number;
  /**
   * `low`: this process does non-urgent work (a rescore): its calls yield to live work in the
   * tenant's shared quota (see TenantRateLimiter). Default `live`.
   */
  priority?: 'live' | 'low';
  /** Installed tenants' tokens, for refreshing them (absent: single-account mode only). */
  credentials?: CredentialStore;
  /** Where facts learned about an installed tenant are kept (absent: single-account mode only). */
  tenantFacts?: TenantFacts;
}

/** Facts a CRM module learns about an installed account while serving it, kept on its record. */
export interface TenantFacts {
  /** The rate limit the CRM announced (call only when it differs from the record's `limit`). */
  recordLimit(tenant: Tenant, limit: { max: number; windowMs: number }): Promise<void>;
}

/** A CRM's per-process state (connections, limiters); ports for tenants come from it. */
export interface CrmConnector {
  /** A port for one tenant. Cheap: the worker builds one per job, so its call count is the job's. */
  portFor(record: TenantRecord): CrmPort;
  /**
   * Checks against the CRM itself (fields exist, mapped picklist values are valid), run at
   * worker start; each problem names the config path. Absent: nothing to check.
   */
  checkSchema?(record: TenantRecord): Promise<string[]>;
  /**
   * Prepare a freshly installed account (create leadstage's properties, check the vocabulary):
   * lines done, and problems that make the install fail.
   */
  setup?(record: TenantRecord): Promise<{ done: string[]; problems: string[] }>;
  /**
   * The CRM's own event stream (Salesforce Change Data Capture), when the environment turns it
   * on; null or absent: the CRM pushes through webhooks only.
   */
  changeFeed?(deps: ChangeFeedDeps): ChangeFeed | null;
}

/** What a change feed needs from the worker that runs it. */
export interface ChangeFeedDeps {
  /** The tenants of this CRM the worker serves now (asked again on every lease round). */
  tenants(): Promise<TenantRecord[]>;
  /** Make ops durable the way the webhook routes do (deduplicated by delivery key). */
  ingest(ops: readonly IngressOp[]): Promise<{ accepted: number; duplicates: number; busy: number }>;
  metrics?: Metrics;
  /**
   * Tests only: accept the fake CRM stream server's self-signed certificate. Never read from the
   * environment, so a deployment cannot turn certificate checks off.
   */
  rejectUnauthorizedSsl?: false;
}

/** A push ingress the worker keeps open per served tenant, besides webhooks. */
export interface ChangeFeed {
  /** Begin holding subscriptions; rejects when the feed cannot run at all (a missing library). */
  start(): Promise<void>;
  /** Close every subscription, let in-flight events finish, give the leases back. */
  stop(): Promise<void>;
}

/**
 * One CRM, as the app wires it: a folder under src/crm exports one of these, and one line in
 * src/app/crm-registry.ts lists it. Nothing else in the app, the jobs or the core names a CRM.
 */
export interface CrmModule {
  /** The registry name, used in tenant keys, config (`crm.<kind>`) and owner ids (`ids.<kind>`). */
  readonly kind: string;
  /** The record kinds this CRM scores (HubSpot: contact; Salesforce: lead and contact). */
  readonly objectTypes: readonly string[];
  connector(ctx: CrmConnectorContext): CrmConnector;
  /** Properties leadstage alone writes in this CRM: a change of one is our own echo. */
  ownProperties?(config: LeadstageConfig): string[];
  /** Single-account mode: the account this CRM serves with credentials from the environment. */
  singleAccount?(env: Env): SingleAccount | null;
  /** The connected app's OAuth install, when the environment has the app's client credentials. */
  oauth?(env: Env): OAuthProvider | null;
}

/** One statically configured account (a private-app token, one Salesforce org). */
export interface SingleAccount {
  /** The account ids served; 'any' serves whichever id an event names (one token for one portal). */
  accountIds: readonly string[] | 'any';
  credentials: Record<string, string>;
  instanceUrl?: string;
  /** App type and plan, e.g. "private:professional" (sets the default rate limit). */
  tier?: string;
  /** IANA zone of the account (its daily limits reset at midnight there). */
  timezone?: string;
}

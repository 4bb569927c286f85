import type { Router } from 'express';
import type { LeadstageConfig } from '../../src/core/model.ts';
import type { Env } from '../../src/platform/env.ts';
import type { Tenant } from '../../src/platform/tenant.ts';
import type { IngressContext } from './ingress-context.ts';

/** What a webhook source gets to build its router. */
export interface WebhookSetup {
  env: Env;
  config: LeadstageConfig;
  /** Activity types events may report (built-in plus the config's custom ones). */
  activityTypes: ReadonlySet<string>;
  /** Properties leadstage alone writes in this source's CRM (their changes are our own echo). */
  ownProperties: ReadonlySet<string>;
  /** Whether an account is installed (whatever its status) or configured in single-account mode. */
  isKnownTenant: (tenant: Tenant) => Promise<boolean>;
}

/**
 * One webhook source (a CRM's deliveries, or the generic feed). It is mounted when its name is in
 * LEADSTAGE_SOURCES; the environment check has already made sure its secrets are set.
 */
export interface WebhookModule {
  /** The LEADSTAGE_SOURCES name; for a CRM's webhooks, the CRM's registry kind. */
  readonly source: string;
  router(ctx: IngressContext, setup: WebhookSetup): Router;
}

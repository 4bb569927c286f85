import type { Redis } from 'ioredis';
import { CRMS } from '../app/crm-registry.ts';
import { createCrmProvider, type ServedTenant } from '../app/crm-provider.ts';
import { createTenants } from '../app/tenants.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { systemClock } from '../platform/clock.ts';
import type { Env } from '../platform/env.ts';
import type { Keys } from '../platform/keys.ts';
import { createLogger } from '../platform/logger.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';
import type { CliIo } from './cli-io.ts';

/**
 * The CRM connection a command uses for one account: single-account settings or an installed
 * tenant, exactly as the worker finds it. Null after saying so when this deployment does not serve it.
 */
export async function serveTenant(
  io: CliIo,
  ctx: { env: Env; config: LeadstageConfig; redis: Redis; keys: Keys },
  tenant: Tenant,
  maxInlineWaitMs: number,
  opts: ServeOptions = {},
): Promise<ServedTenant | null> {
  const { env, config, redis, keys } = ctx;
  const tenants = createTenants(env, config, redis, keys);
  const crms = createCrmProvider(tenants.directory, CRMS, {
    env,
    redis,
    keys,
    log: createLogger('silent'),
    clock: systemClock,
    maxInlineWaitMs,
    ...(opts.priority ? { priority: opts.priority } : {}),
  });
  const served = await crms.serve(tenant);
  if (!served)
    io.stderr(
      `${tenantKey(tenant)} is not an account leadstage serves here (single-account settings or an installed tenant)\n`,
    );
  if (!served || !opts.readWith) return served;
  return {
    record: served.record,
    crm: crms.connector(tenant.crm)!.portFor({ ...served.record, config: opts.readWith(served.record.config) }),
  };
}

/** Options of {@link serveTenant}. */
export interface ServeOptions {
  /** `low`: non-urgent work (a rescore) whose calls yield to live work in the tenant's shared quota. */
  priority?: 'live' | 'low';
  /** The config the port maps records with, from the tenant's own (e.g. with more properties to read). */
  readWith?: (config: LeadstageConfig) => LeadstageConfig;
}

import type { SimulateDeps } from '../../jobs/simulate-tenant.ts';
import { readingConfig } from '../../jobs/simulate-tenant.ts';
import { createTenants } from '../app/tenants.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { Env } from '../platform/env.ts';
import { Keys } from '../platform/keys.ts';
import { createRedis } from '../platform/redis.ts';
import { tenantKey, type Tenant } from '../platform/tenant.ts';
import { ActivityStore } from '../store/activity-store.ts';
import { OwnerAwayStore } from '../store/owner-away-store.ts';
import { learnedLimit } from '../store/rate-limiter.ts';
import { WorkerStore } from '../store/worker-store.ts';
import type { CliIo } from './cli-io.ts';
import { serveTenant } from './serve-tenant.ts';
import { tenantQuota, type Quota } from './tenant-quota.ts';

/** What `simulate` reads from, read-only: the account's CRM and leadstage's state for it. */
export interface SimulationSource {
  tenant: Tenant;
  /** The config the account runs with now. */
  current: LeadstageConfig;
  deps: Pick<SimulateDeps, 'crm' | 'activities' | 'state' | 'owners' | 'awayOwners'>;
  /** The tenant's request quota (the CRM's announced limit, else the adapter's default). */
  quota: Quota;
  close: () => Promise<void>;
}

/** Opens a source for the tenant (null: the one account served here), or null after saying why. */
export type OpenSource = (
  io: CliIo,
  ctx: { env: Env; config: LeadstageConfig; next: LeadstageConfig },
  tenant: Tenant | null,
) => Promise<SimulationSource | null>;

/**
 * The real source: the account's CRM as the worker reaches it (its adapter reading with the
 * properties both configs map), and Redis read without trimming or committing anything.
 */
export const openSource: OpenSource = async (io, { env, config, next }, asked) => {
  const redis = createRedis(env.REDIS_URL, 'worker');
  const keys = new Keys(env.LEADSTAGE_REDIS_PREFIX);
  const close = async () => void (await redis.quit().catch(() => redis.disconnect()));
  try {
    let tenant = asked;
    if (!tenant) {
      const active = (await createTenants(env, config, redis, keys).directory.list()).filter(
        (r) => r.status === 'active',
      );
      if (active.length !== 1) {
        const which = active.length ? ` (${active.map((r) => tenantKey(r.tenant)).join(', ')})` : '';
        io.stderr(`--tenant is needed: this deployment serves ${active.length} accounts${which}\n`);
        await close();
        return null;
      }
      tenant = active[0]!.tenant;
    }
    const conflicts: string[] = [];
    // Low priority: a simulation is not urgent, its reads yield to live work in the tenant's quota.
    const served = await serveTenant(io, { env, config, redis, keys }, tenant, 60_000, {
      priority: 'low',
      readWith: (current) => {
        const r = readingConfig(current, next, tenant.crm);
        conflicts.push(...r.conflicts);
        return r.config;
      },
    });
    const quota = served ? tenantQuota(env, served.record, await learnedLimit(redis, keys, tenant)) : null;
    if (!served || !quota) {
      if (served) io.stderr(`no call model for ${tenant.crm} accounts\n`);
      await close();
      return null;
    }
    for (const c of conflicts)
      io.stderr(`note: ${c} maps to another property in the new config; both are scored with the current one's\n`);
    const current = served.record.config;
    const activities = new ActivityStore(redis, keys, {
      maxAgeDays: Math.max(current.engagement.maxAgeDays, next.engagement.maxAgeDays),
    });
    const store = new WorkerStore(redis, keys);
    const away = new OwnerAwayStore(redis, keys);
    return {
      tenant,
      current,
      quota,
      close,
      deps: {
        crm: served.crm,
        activities: { activitiesMany: (t, ids, nowMs) => activities.peekMany(t, ids, nowMs) },
        state: {
          loadRotation: (crm, pools) => store.loadRotation(crm, pools),
          stageEntries: (t, ids) => store.stageEntries(t, ids),
          gone: (t, ids) => store.gone(t, ids),
        },
        owners: (t) => served.crm.listOwners(t),
        awayOwners: (nowMs) => away.peek(nowMs),
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
};

import type { Redis } from 'ioredis';
import { READ_ACTIVITIES_SCRIPT } from './ingest-script.ts';
import type { Keys } from '../platform/keys.ts';
import type { ContactRef, Activity, Tenant } from '../platform/tenant.ts';

/** The pending-set member for a contact: Salesforce needs the object type, HubSpot has one. */
export function pendingMember(c: Pick<ContactRef, 'objectType' | 'id'>): string {
  return `${c.objectType}:${c.id}`;
}

export function parsePendingMember(member: string): { objectType: string; id: string } {
  const i = member.indexOf(':');
  return { objectType: member.slice(0, i), id: member.slice(i + 1) };
}

/**
 * The read side of the per-contact activity history the ingest script writes: what a worker
 * needs to plan a contact, and what tests inspect.
 */
export class ActivityStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly maxAgeMs: number;
  private readonly maxPerContact: number;

  constructor(redis: Redis, keys: Keys, opts: { maxAgeDays: number; maxPerContact?: number }) {
    this.redis = redis;
    this.keys = keys;
    this.maxAgeMs = opts.maxAgeDays * 86_400_000;
    this.maxPerContact = opts.maxPerContact ?? 1_000;
    READ_ACTIVITIES_SCRIPT.register(redis);
  }

  /**
   * A contact's activities, oldest first, trimming its history as it reads: older than
   * maxAgeDays, or beyond the newest `maxPerContact`, is deleted.
   */
  async activities(c: Pick<ContactRef, 'tenant' | 'id'>, nowMs: number = Date.now()): Promise<Activity[]> {
    return (await this.activitiesMany(c.tenant, [c.id], nowMs)).get(c.id)!;
  }

  /** Several contacts' activities in one round trip (trimming each as it reads). */
  async activitiesMany(
    tenant: Tenant,
    ids: readonly string[],
    nowMs: number = Date.now(),
  ): Promise<Map<string, Activity[]>> {
    const p = this.redis.pipeline();
    for (const id of ids)
      void READ_ACTIVITIES_SCRIPT.run(
        p,
        [this.keys.activities(tenant, id)],
        [nowMs - this.maxAgeMs, this.maxPerContact],
      );
    const results = (await p.exec()) ?? [];
    return new Map(
      ids.map((id, i) => {
        const [err, flat] = results[i] ?? [new Error('no reply'), null];
        if (err) throw err;
        const list: Activity[] = [];
        const f = flat as string[];
        for (let j = 0; j < f.length; j += 2)
          list.push({ id: f[j]!, ...(JSON.parse(f[j + 1]!) as Omit<Activity, 'id'>) });
        return [id, list.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))];
      }),
    );
  }

  /**
   * The same activities as `activitiesMany`, without trimming anything: for read-only commands
   * (`leadstage simulate`) that must leave Redis as they found it.
   */
  async peekMany(tenant: Tenant, ids: readonly string[], nowMs: number = Date.now()): Promise<Map<string, Activity[]>> {
    const p = this.redis.pipeline();
    for (const id of ids) p.hgetall(this.keys.activities(tenant, id));
    const results = (await p.exec()) ?? [];
    return new Map(
      ids.map((id, i) => {
        const [err, hash] = results[i] ?? [new Error('no reply'), null];
        if (err) throw err;
        const list = Object.entries(hash as Record<string, string>)
          .filter(([k]) => k !== '__email')
          .map(([k, json]): Activity => ({ id: k, ...(JSON.parse(json) as Omit<Activity, 'id'>) }))
          .filter((a) => !(a.at < nowMs - this.maxAgeMs))
          .sort((a, b) => b.at - a.at)
          .slice(0, this.maxPerContact);
        return [id, list.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))];
      }),
    );
  }

  /** Members ("objectType:id") of a tenant's pending-recompute set, sorted. */
  async pending(tenant: Tenant): Promise<string[]> {
    return (await this.redis.smembers(this.keys.pending(tenant))).sort();
  }
}

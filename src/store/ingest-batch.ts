import type { Redis } from 'ioredis';
import { pendingMember } from './activity-store.ts';
import { CLAIM, INGEST_SCRIPT, OP } from './ingest-script.ts';
import type { Keys } from '../platform/keys.ts';
import type { ContactRef, Activity, Tenant } from '../platform/tenant.ts';

/** The stored form of an activity; `at` first, so the read script can find it cheaply. */
export function encodeActivity(a: Activity): string {
  return JSON.stringify({ at: a.at, type: a.type, attributes: a.attributes });
}

export type ClaimState = 'claimed' | 'duplicate' | 'busy';

export interface BatchLimits {
  claimTtlMs: number;
  /** Activity history expires this long after its last write. */
  maxAgeMs: number;
  tombstoneMs: number;
}

export interface BatchResult {
  states: Map<string, ClaimState>;
  /** Engagements that became complete: the op's tag (its engagement id), activity meta and contacts. */
  links: { tag: string; meta: Omit<Activity, 'id'>; contactIds: string[] }[];
}

/**
 * The ops of one hash-tag group (a tenant, or the e-mail bucket) for one request, compiled into a
 * single INGEST_SCRIPT call: keys declared once each, ops referring to them by index.
 */
export class IngestBatch {
  readonly group: string;
  private readonly k: Keys;
  private readonly keyList: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  private readonly deliveryList: string[] = [];
  private readonly deliveryIndex = new Map<string, number>();
  private readonly ops: Record<string, unknown>[] = [];
  private readonly tags: string[] = [];
  private readonly pendingIndex: number;

  constructor(k: Keys, group: string, pendingKey: string) {
    this.k = k;
    this.group = group;
    this.pendingIndex = this.key(pendingKey);
  }

  get size(): number {
    return this.ops.length;
  }

  get deliveryKeys(): readonly string[] {
    return this.deliveryList;
  }

  /** The Redis key of a delivery in this group (for settling claims). */
  deliveryRedisKey(deliveryKey: string): string {
    return this.k.delivery(this.group, deliveryKey);
  }

  private key(name: string): number {
    let i = this.keyIndex.get(name);
    if (i === undefined) {
      this.keyList.push(name);
      i = this.keyList.length; // Lua is 1-based
      this.keyIndex.set(name, i);
    }
    return i;
  }

  private delivery(deliveryKey: string | null): number {
    if (deliveryKey === null) return 0;
    let i = this.deliveryIndex.get(deliveryKey);
    if (i === undefined) {
      this.deliveryList.push(deliveryKey);
      i = this.deliveryList.length;
      this.deliveryIndex.set(deliveryKey, i);
      this.key(this.k.delivery(this.group, deliveryKey));
    }
    return i;
  }

  private push(deliveryKey: string | null, op: Record<string, unknown>, tag = ''): void {
    this.ops.push({ d: this.delivery(deliveryKey), ...op });
    this.tags.push(tag);
  }

  activity(deliveryKey: string | null, c: ContactRef, a: Activity): void {
    const k = this.k;
    this.push(deliveryKey, {
      o: OP.activity,
      k: [this.key(k.activities(c.tenant, c.id)), this.key(k.tombstone(c.tenant, c.id))],
      id: a.id,
      j: encodeActivity(a),
      m: pendingMember(c),
    });
  }

  unresolved(deliveryKey: string, emailHash: string, email: string, a: Activity): void {
    const k = this.k;
    this.push(deliveryKey, {
      o: OP.activity,
      k: [this.key(k.unresolved(emailHash))],
      id: a.id,
      j: encodeActivity(a),
      m: emailHash,
      e: email,
    });
  }

  touch(deliveryKey: string, c: ContactRef, restore: boolean): void {
    this.push(deliveryKey, {
      o: OP.touch,
      k: [this.key(this.k.tombstone(c.tenant, c.id))],
      m: pendingMember(c),
      r: restore ? 1 : 0,
    });
  }

  erase(deliveryKey: string, c: ContactRef, privacy: boolean): void {
    const k = this.k;
    this.push(deliveryKey, {
      o: OP.erase,
      k: [this.key(k.activities(c.tenant, c.id)), this.key(k.tombstone(c.tenant, c.id))],
      m: pendingMember(c),
      kind: privacy ? 'privacy' : 'deleted',
    });
  }

  merge(deliveryKey: string, tenant: Tenant, survivorId: string, mergedIds: readonly string[]): void {
    const k = this.k;
    const keys = [this.key(k.activities(tenant, survivorId))];
    for (const m of mergedIds) keys.push(this.key(k.activities(tenant, m)));
    const member = (id: string) => pendingMember({ objectType: 'contact', id });
    this.push(deliveryKey, { o: OP.merge, k: keys, m: member(survivorId), mm: mergedIds.map(member) });
  }

  engagement(
    deliveryKey: string,
    tenant: Tenant,
    engagementId: string,
    meta: object | undefined,
    contactIds: readonly string[] | undefined,
    tag: string,
  ): void {
    this.push(
      deliveryKey,
      {
        o: OP.engagement,
        k: [this.key(this.k.engagement(tenant, engagementId))],
        ...(meta ? { meta: JSON.stringify(meta) } : {}),
        ...(contactIds?.length ? { c: contactIds } : {}),
      },
      tag,
    );
  }

  async run(redis: Redis, token: string, limits: BatchLimits): Promise<BatchResult> {
    const spec = JSON.stringify({
      p: this.pendingIndex,
      d: this.deliveryList.map((d) => this.keyIndex.get(this.k.delivery(this.group, d))!),
      ops: this.ops,
    });
    const [statuses, links] = (await INGEST_SCRIPT.run(redis, this.keyList, [
      token,
      limits.claimTtlMs,
      spec,
      limits.maxAgeMs,
      limits.tombstoneMs,
    ])) as [string[], [number, string, string][]];
    const states = new Map<string, ClaimState>();
    this.deliveryList.forEach((d, i) =>
      states.set(d, statuses[i] === CLAIM.claimed ? 'claimed' : statuses[i] === CLAIM.duplicate ? 'duplicate' : 'busy'),
    );
    return {
      states,
      links: links.map(([n, meta, contacts]) => ({
        tag: this.tags[n - 1]!,
        meta: JSON.parse(meta),
        contactIds: JSON.parse(contacts),
      })),
    };
  }
}

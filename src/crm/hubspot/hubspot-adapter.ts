import { Client } from '@hubspot/api-client';
import type { CrmObjectMapping, LeadstageConfig } from '../../core/model.ts';
import type { ContactSnapshot } from '../../core/types.ts';
import type { Tenant } from '../../platform/tenant.ts';
import { mappingFor } from '../../core/crm-mapping.ts';
import { CrmRateLimitedError, CrmRejectedError, CrmTransientError } from '../../platform/crm-errors.ts';
import {
  chunks,
  toEndOfGroup,
  type ContactPage,
  type ContactRefById,
  type CrmTask,
  type TaskToFind,
  type TaskUpdate,
  type ContactWrite,
  type CrmOwner,
  type CrmPort,
  type TaskOutcome,
  type TaskToCreate,
  type WriteOutcome,
} from '../../platform/crm-port.ts';
import type { TenantRateLimiter } from '../../store/rate-limiter.ts';
import { withDeadline } from '../../platform/deadline.ts';
import { classifyHubSpotError, isDailyLimit } from './hubspot-errors.ts';
import { readProperties, toSnapshot } from './hubspot-mapping.ts';
import { HUBSPOT_PATHS } from './hubspot-paths.ts';
import { searchSince } from './hubspot-requests.ts';
import { HubSpotTasks } from './hubspot-task-ops.ts';
import { writeHubSpotContacts } from './hubspot-writes.ts';
import { checkHubSpotVocabulary, type PropertyOption } from './hubspot-vocabulary.ts';

export const HUBSPOT_BATCH = 100;

export interface HubSpotAdapterOptions {
  config: LeadstageConfig;
  /** The access token for a portal (a private-app token, or a current OAuth access token). */
  accessToken: (tenant: Tenant) => Promise<string>;
  limiter: TenantRateLimiter;
  /** Another host for the API (a sandbox, or a proxy); default api.hubapi.com. */
  basePath?: string;
  /**
   * Retries of idempotent calls (reads, updates, searches) after a 5xx or a time-out, each through
   * the shared quota. The SDK's own retries are off: they bypass the quota, sleep 10 s on a 429
   * and retry POSTs. A 429 is never retried here: the tenant pauses and the job is delayed.
   */
  retries?: number;
  /** A call that has not answered after this long fails as transient (default 30 s). */
  timeoutMs?: number;
  /** The portal's limit until HubSpot's headers announce it (by app type and tier: 100, 110 or 190 per 10 s). */
  limit?: { max: number; windowMs: number };
  /** The account's IANA time zone: its daily limit resets at midnight there (default UTC). */
  timezone?: (tenant: Tenant) => Promise<string | undefined>;
  /** Told once per adapter when HubSpot's headers announce a limit other than `limit` (to keep it). */
  onLimit?: (tenant: Tenant, limit: { max: number; windowMs: number }) => Promise<void>;
}

/**
 * HubSpot through @hubspot/api-client with the SDK's retries off. Idempotent calls are retried
 * here, each attempt taking a slot of the portal's shared quota; task creation never is, because a
 * retried POST can create a second task — the caller's ledger decides instead.
 */
export class HubSpotAdapter implements CrmPort {
  readonly crm = 'hubspot' as const;
  readonly batchLimits = { list: HUBSPOT_BATCH, write: HUBSPOT_BATCH };
  private readonly opts: HubSpotAdapterOptions;
  private readonly mapping: CrmObjectMapping;
  private callCount = 0;
  private learned: { max: number; windowMs: number } | undefined;
  private readonly io = {
    client: (t: Tenant) => this.client(t),
    call: <T>(
      t: Tenant,
      what: string,
      fn: () => Promise<{ data: T; headers?: Record<string, string> }>,
      idempotent?: boolean,
    ) => this.call(t, what, fn, idempotent),
  };
  private readonly tasks = new HubSpotTasks(this.io);

  constructor(opts: HubSpotAdapterOptions) {
    const mapping = mappingFor(opts.config, { crm: 'hubspot', objectType: 'contact' });
    if (!mapping) throw new Error('the config has no crm.hubspot mapping');
    this.opts = opts;
    this.mapping = mapping;
  }

  get calls(): number {
    return this.callCount;
  }

  /** An SDK client for the portal (setup's property calls; everything else goes through `call`). */
  sdk(tenant: Tenant): Promise<Client> {
    return this.client(tenant);
  }

  private async client(tenant: Tenant): Promise<Client> {
    return new Client({
      accessToken: await this.opts.accessToken(tenant),
      numberOfApiCallRetries: 0,
      ...(this.opts.basePath ? { basePath: this.opts.basePath } : {}),
    });
  }

  /**
   * One quota slot, one call, errors classified. The shared limiter tracks HubSpot's rolling window
   * itself (the quota is per app and portal, and every call of ours goes through it), so a
   * "Remaining: 0" header needs no extra pause — pausing a whole interval there would idle the
   * portal until long after the oldest call has aged out. A 429 still pauses every worker.
   */
  private async call<T>(
    tenant: Tenant,
    what: string,
    fn: () => Promise<{ data: T; headers?: Record<string, string> }>,
    idempotent = true,
  ): Promise<T> {
    const retries = idempotent ? (this.opts.retries ?? 3) : 0;
    for (let attempt = 0; ; attempt++) {
      await this.opts.limiter.acquire(tenant, this.opts.limit);
      this.callCount += 1;
      try {
        const res = await withDeadline(fn(), this.opts.timeoutMs ?? 30_000);
        await this.learnLimit(tenant, res.headers);
        return res.data;
      } catch (err) {
        const daily = isDailyLimit(err) ? await this.opts.timezone?.(tenant).catch(() => undefined) : undefined;
        const classified = classifyHubSpotError(err, what, daily);
        if (classified instanceof CrmRateLimitedError) {
          await this.opts.limiter.pause(tenant, classified.retryAfterMs);
          throw classified;
        }
        if (!(classified instanceof CrmTransientError) || attempt >= retries) throw classified;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  }

  /** The account's details (portal id, time zone, type): one raw call, outside the quota-free SDK. */
  async accountDetails(tenant: Tenant): Promise<{ portalId: number; timeZone?: string; accountType?: string }> {
    const client = await this.client(tenant);
    return this.call(tenant, 'read account details', async () => {
      const res = await client.apiRequest({ method: 'GET', path: HUBSPOT_PATHS.accountDetails });
      const body = await res.json().catch(() => ({}));
      if (!res.ok)
        throw Object.assign(new Error(`HTTP ${res.status}`), {
          code: res.status,
          body,
          headers: Object.fromEntries(res.headers.entries()),
        });
      return {
        data: body as { portalId: number; timeZone?: string; accountType?: string },
        headers: Object.fromEntries(res.headers.entries()),
      };
    });
  }

  /** HubSpot announces the portal's limit on every answer: adopt it once, for every worker. */
  private async learnLimit(tenant: Tenant, raw: Record<string, string> | undefined): Promise<void> {
    const headers = Object.fromEntries(Object.entries(raw ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const max = Number(headers['x-hubspot-ratelimit-max']);
    const windowMs = Number(headers['x-hubspot-ratelimit-interval-milliseconds']);
    if (!(max > 0 && windowMs > 0) || (this.learned?.max === max && this.learned.windowMs === windowMs)) return;
    this.learned = { max, windowMs };
    await this.opts.limiter.learn(tenant, max, windowMs);
    if (this.opts.onLimit && (this.opts.limit?.max !== max || this.opts.limit.windowMs !== windowMs))
      await this.opts.onLimit(tenant, this.learned);
  }

  /** HubSpot record ids are numeric; anything else is refused before any call. */
  rejectsId(ref: ContactRefById): string | null {
    return /^\d{1,20}$/.test(ref.id) ? null : `not a HubSpot record id: ${ref.id.slice(0, 40)}`;
  }

  async readContacts(tenant: Tenant, refs: readonly ContactRefById[]): Promise<Map<string, ContactSnapshot>> {
    const properties = readProperties(this.mapping);
    const client = await this.client(tenant);
    const out = new Map<string, ContactSnapshot>();
    // Chunks of 100 go side by side: the shared limiter still paces them against the quota.
    const pages = await Promise.all(
      chunks([...new Set(refs.map((r) => r.id))], HUBSPOT_BATCH).map((batch) =>
        this.call(tenant, 'read contacts', () =>
          client.crm.contacts.batchApi.readWithHttpInfo(
            { inputs: batch.map((id) => ({ id })), properties, propertiesWithHistory: [] },
            false,
          ),
        ),
      ),
    );
    for (const data of pages) for (const r of data.results) out.set(r.id, toSnapshot(r.id, r.properties, this.mapping));
    return out;
  }

  writeContacts(tenant: Tenant, writes: readonly ContactWrite[]): Promise<WriteOutcome[]> {
    return writeHubSpotContacts(this.io, tenant, writes, this.mapping, this.opts.config.lifecycle.stages);
  }

  readTasks(tenant: Tenant, ids: readonly string[]): Promise<Map<string, CrmTask>> {
    return this.tasks.read(tenant, ids);
  }

  updateTasks(tenant: Tenant, updates: readonly TaskUpdate[]): Promise<WriteOutcome[]> {
    return this.tasks.update(tenant, updates);
  }

  /** Never retried blindly: the caller's task ledger decides. */
  createTasks(tenant: Tenant, tasks: readonly TaskToCreate[]): Promise<TaskOutcome[]> {
    return this.tasks.create(tenant, tasks);
  }

  findTasks(tenant: Tenant, tasks: readonly TaskToFind[], since: Date): Promise<Map<string, string>> {
    return this.tasks.find(tenant, tasks, since);
  }

  async findByEmail(tenant: Tenant, emails: readonly string[]): Promise<Map<string, ContactRefById[]>> {
    const client = await this.client(tenant);
    const out = new Map<string, ContactRefById[]>();
    // Batch read by the unique `email` property: exact, 100 per call, and outside the search API's 5/s limit.
    for (const batch of chunks([...new Set(emails.map((e) => e.toLowerCase()))], HUBSPOT_BATCH)) {
      const data = await this.call(tenant, 'find contacts by e-mail', () =>
        client.crm.contacts.batchApi.readWithHttpInfo(
          {
            inputs: batch.map((id) => ({ id })),
            idProperty: 'email',
            properties: ['email'],
            propertiesWithHistory: [],
          },
          false,
        ),
      );
      for (const r of data.results) {
        const email = (r.properties['email'] ?? '').toLowerCase();
        if (email) out.set(email, [...(out.get(email) ?? []), { objectType: 'contact', id: r.id }]);
      }
    }
    return out;
  }

  /**
   * GET /crm/v3/objects/contacts with the mapped properties, 100 a page: one call per 100 contacts
   * (the list endpoint, not search, which stops at 10,000 results). The cursor is HubSpot's
   * `paging.next.after` token, which does not expire, so a rescore can resume from it hours later.
   */
  async listContacts(tenant: Tenant, page: { cursor: string | null }): Promise<ContactPage> {
    const client = await this.client(tenant);
    const properties = readProperties(this.mapping);
    const data = await this.call(tenant, 'list contacts', () =>
      client.crm.contacts.basicApi.getPageWithHttpInfo(
        HUBSPOT_BATCH,
        page.cursor ?? undefined,
        properties,
        undefined,
        undefined,
        false,
      ),
    );
    return {
      contacts: data.results.map((r) => toSnapshot(r.id, r.properties, this.mapping)),
      next: data.paging?.next?.after ?? null,
    };
  }

  /** The portal's contact count: one search without filters, limit 1 (its `total`). */
  async countContacts(tenant: Tenant): Promise<number> {
    const client = await this.client(tenant);
    const data = await this.call(tenant, 'count contacts', () =>
      client.crm.contacts.searchApi.doSearchWithHttpInfo({ filterGroups: [], properties: ['hs_object_id'], limit: 1 }),
    );
    return data.total;
  }

  /**
   * The options of a contact property (empty for a non-enumeration), or null when the portal has
   * no such property. For the vocabulary check at setup and worker start.
   */
  async propertyOptions(tenant: Tenant, name: string): Promise<PropertyOption[] | null> {
    const client = await this.client(tenant);
    try {
      const p = await this.call(tenant, 'read property', () =>
        client.crm.properties.coreApi.getByNameWithHttpInfo('contacts', name),
      );
      return (p.options ?? []).map((o) => ({ value: o.value, label: o.label }));
    } catch (err) {
      if (err instanceof CrmRejectedError && err.status === 404) return null;
      throw err;
    }
  }

  /** Every value the config writes into the portal's enumerations exists there (see hubspot-vocabulary.ts). */
  checkVocabulary(tenant: Tenant): Promise<string[]> {
    return checkHubSpotVocabulary(this.opts.config, (name) => this.propertyOptions(tenant, name));
  }

  /**
   * Search contacts by `lastmodifieddate` (oldest first, 200 a page). HubSpot pages one search up
   * to 10,000 results: a run stops short of that, the next one resumes from the watermark.
   */
  listModifiedSince(
    tenant: Tenant,
    since: Date,
    maxRecords: number,
  ): AsyncIterable<{ snapshot: ContactSnapshot; modifiedAt: number }[]> {
    return toEndOfGroup(this.searchModified(tenant, since), Math.min(maxRecords, 9_000));
  }

  private async *searchModified(
    tenant: Tenant,
    since: Date,
  ): AsyncIterable<{ snapshot: ContactSnapshot; modifiedAt: number }[]> {
    const client = await this.client(tenant);
    const properties = [...readProperties(this.mapping), 'lastmodifieddate'];
    let after: string | undefined;
    for (let seen = 0; seen < 10_000;) {
      const page = await this.call(tenant, 'search modified contacts', () =>
        client.crm.contacts.searchApi.doSearchWithHttpInfo(searchSince('lastmodifieddate', since, properties, after)),
      );
      seen += page.results.length;
      yield page.results.map((r) => ({
        snapshot: toSnapshot(r.id, r.properties, this.mapping),
        modifiedAt: Date.parse(r.properties['lastmodifieddate'] ?? '') || r.updatedAt.getTime(),
      }));
      after = page.paging?.next?.after;
      if (!after) return;
    }
  }

  async listOwners(tenant: Tenant): Promise<CrmOwner[]> {
    const client = await this.client(tenant);
    const owners: CrmOwner[] = [];
    for (const archived of [false, true]) {
      let after: string | undefined;
      do {
        const page = await this.call(tenant, 'list owners', () =>
          client.crm.owners.ownersApi.getPageWithHttpInfo(undefined, after, 100, archived),
        );
        for (const o of page.results) owners.push({ id: String(o.id), active: !archived && !o.archived });
        after = page.paging?.next?.after;
      } while (after);
    }
    return owners;
  }
}

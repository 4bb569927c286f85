import { z } from 'zod';

const secret = (name: string) =>
  z.string({ error: `${name} is required` }).min(16, `${name} must be at least 16 characters`);

const SOURCES = ['hubspot', 'salesforce', 'events'] as const;
export type Source = (typeof SOURCES)[number];

/**
 * The service's environment, validated at start. Sources can be switched off with
 * LEADSTAGE_SOURCES; the secrets of every enabled source are required.
 */
const envSchema = (web: boolean) =>
  z
    .object({
      PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
      REDIS_URL: z
        .string({ error: 'REDIS_URL is required, e.g. redis://127.0.0.1:6379' })
        .regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss://'),
      /** The public origin the CRMs call, e.g. https://leadstage.example.com — HubSpot signs that URL. */
      PUBLIC_BASE_URL: z
        .url({ error: 'PUBLIC_BASE_URL must be an absolute URL' })
        .transform((u) => u.replace(/\/+$/, ''))
        .optional(),
      LEADSTAGE_SOURCES: z
        .string()
        .default(SOURCES.join(','))
        .transform((s) =>
          s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        )
        .pipe(z.array(z.enum(SOURCES)).min(1, 'LEADSTAGE_SOURCES needs at least one of hubspot, salesforce, events')),
      HUBSPOT_CLIENT_SECRET: z.string().optional(),
      /** Connected app: the HubSpot app's client id (with HUBSPOT_CLIENT_SECRET, enables /oauth/hubspot/install). */
      HUBSPOT_CLIENT_ID: z.string().min(1).optional(),
      /** Where HubSpot users consent (default https://app.hubspot.com; the sandbox in a local run). */
      HUBSPOT_AUTH_BASE_URL: z
        .url()
        .transform((u) => u.replace(/\/+$/, ''))
        .default('https://app.hubspot.com'),
      /**
       * Connected app: the key that seals OAuth tokens at rest (AES-256-GCM), 32 bytes in base64.
       * Without it no OAuth install is possible (tokens are never stored in the clear).
       */
      LEADSTAGE_ENCRYPTION_KEY: z
        .string()
        .refine(
          (v) => Buffer.from(v, 'base64').length === 32,
          'LEADSTAGE_ENCRYPTION_KEY must be 32 bytes in base64 (openssl rand -base64 32)',
        )
        .optional(),
      LEADSTAGE_ENCRYPTION_KEY_ID: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .default('k1'),
      /** Retired keys still able to open tokens, "id:base64,id:base64" (after `leadstage keys rotate`). */
      LEADSTAGE_ENCRYPTION_OLD_KEYS: z.string().optional(),
      /** Bearer token of the admin routes (/admin/…); unset: the admin routes are off. */
      ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
      /**
       * Where per-tenant config files live. When set, `leadstage tenants config` and the admin route
       * take names inside it only; the admin route is refused without it (a route must not read any file).
       */
      TENANT_CONFIG_DIR: z.string().min(1).optional(),
      /** An uninstalled tenant's data is erased this long after the uninstall (default 7 days). */
      TENANT_ERASE_AFTER_MS: z.coerce
        .number()
        .int()
        .min(0)
        .default(7 * 86_400_000),
      /** Optional: our HubSpot app id; property changes made by our app are echoes of our writes. */
      HUBSPOT_APP_ID: z.string().regex(/^\d+$/, 'HUBSPOT_APP_ID must be numeric').optional(),
      SALESFORCE_ORG_IDS: z.string().optional(),
      SALESFORCE_WEBHOOK_TOKEN: z.string().optional(),
      /** Optional: Salesforce user id of leadstage's integration user; its own changes are echoes. */
      SALESFORCE_INTEGRATION_USER_ID: z.string().optional(),
      EVENTS_SIGNING_SECRET: z.string().optional(),
      LEADSTAGE_CONFIG: z.string().default('config/leadstage.yaml'),
      /** Prefix of every Redis key and BullMQ queue, so several deployments can share a server. */
      LEADSTAGE_REDIS_PREFIX: z
        .string()
        .regex(/^[a-zA-Z0-9_-]+$/)
        .default('ls'),
      /** Largest accepted webhook body. HubSpot batches of 100 events stay far below 1 MB. */
      MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
      /** Pending recomputes of one tenant are collected for this long before a batch job runs. */
      BATCH_WINDOW_MS: z.coerce.number().int().min(0).default(250),
      SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Worker: jobs processed at once (each is one tenant's batch). */
      WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
      /**
       * Worker: contacts per recompute batch. Each CRM operation is split into calls of the CRM's
       * limit (HubSpot 100, Salesforce 200) sent side by side, and tasks are pooled across the batch.
       */
      RECOMPUTE_BATCH_SIZE: z.coerce.number().int().min(1).max(1_000).default(200),
      /**
       * Worker: how long a job's lock lasts without renewal. A worker that dies mid-job loses its
       * lock after this, and another worker picks the job up (resuming its batch).
       */
      WORKER_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
      /** Worker: its own /healthz, /readyz and /metrics listen here (unset: no health server). */
      WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
      /** Worker: the health server's bind address (a private interface keeps /metrics off the internet). */
      WORKER_HEALTH_HOST: z.string().min(1).default('0.0.0.0'),
      /** /metrics (web and worker) answers only with `Authorization: Bearer <token>` when set. */
      METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
      /**
       * Worker: how often a job whose worker died may be taken over before BullMQ fails it. High on
       * purpose: a killed worker is no reason to give up (and the sweeper requeues failed ones anyway).
       */
      WORKER_MAX_STALLED_COUNT: z.coerce.number().int().min(1).default(50),
      /**
       * Non-urgent work (rescores) stops once an account has used this share of its daily API quota
       * (Salesforce reports it in Sforce-Limit-Info), leaving the rest for live webhooks.
       */
      NONURGENT_MAX_QUOTA_SHARE: z.coerce.number().gt(0).max(1).default(0.8),
      /** Worker: how often the reconciliation sweep asks each CRM for records modified since its watermark. */
      SWEEP_INTERVAL_MS: z.coerce
        .number()
        .int()
        .min(10_000)
        .default(15 * 60_000),
      /** Worker: how often due decay is written (contacts whose visible values decay has changed). */
      DECAY_SWEEP_MS: z.coerce.number().int().min(1_000).default(60_000),
      /** Worker: how often SLA escalation steps that fell due are run (remind, reassign, escalate). */
      SLA_SWEEP_MS: z.coerce.number().int().min(1_000).default(60_000),
      /** Worker: how often the sweeper requeues tenants whose contacts wait without a job. */
      SWEEP_STRANDED_MS: z.coerce.number().int().min(1_000).default(60_000),
      /** Worker: Salesforce org connection (OAuth); jsforce refreshes the access token on 401. */
      SALESFORCE_INSTANCE_URL: z.url().optional(),
      SALESFORCE_ACCESS_TOKEN: z.string().min(1).optional(),
      SALESFORCE_REFRESH_TOKEN: z.string().min(1).optional(),
      SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
      SALESFORCE_CLIENT_SECRET: z.string().min(1).optional(),
      SALESFORCE_LOGIN_URL: z.url().default('https://login.salesforce.com'),
      SALESFORCE_API_VERSION: z
        .string()
        .regex(/^\d+\.0$/, 'SALESFORCE_API_VERSION looks like 61.0')
        .default('61.0'),
      /**
       * Worker: Salesforce Change Data Capture over the Pub/Sub API as a second ingress (on/off). One
       * worker per org holds the subscription (a Redis lease); events become the same pending marks
       * as Outbound Messages. Needs the org's CDC selection of Lead and Contact (docs/salesforce-setup.md §5).
       */
      SALESFORCE_CDC: z.enum(['on', 'off']).default('off'),
      /** Worker: the change event channels subscribed, comma-separated. */
      SALESFORCE_CDC_CHANNELS: z
        .string()
        .default('/data/LeadChangeEvent,/data/ContactChangeEvent')
        .transform((s) =>
          s
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
        )
        .pipe(
          z
            .array(
              z.string().regex(/^\/data\/\w+$/, 'SALESFORCE_CDC_CHANNELS: channels look like /data/LeadChangeEvent'),
            )
            .min(1),
        ),
      /** Worker: the Pub/Sub API endpoint (host:port, TLS). */
      SALESFORCE_PUBSUB_ENDPOINT: z
        .string()
        .regex(/^[\w.-]+:\d+$/, 'SALESFORCE_PUBSUB_ENDPOINT looks like api.pubsub.salesforce.com:7443')
        .default('api.pubsub.salesforce.com:7443'),
      /** Worker: calls per window per org, shared by all workers (orgs also have a 24-hour API quota). */
      SALESFORCE_REQUESTS_PER_WINDOW: z.coerce.number().int().positive().default(25),
      SALESFORCE_WINDOW_MS: z.coerce.number().int().positive().default(1_000),
      /** Worker: the portal the token belongs to (where e-mail-addressed feed events are looked up). */
      HUBSPOT_PORTAL_ID: z.string().regex(/^\d+$/, 'HUBSPOT_PORTAL_ID must be numeric').optional(),
      /** Worker: a CRM call that has not answered after this long is abandoned and retried. */
      CRM_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
      /** Worker: retries of idempotent HubSpot calls after a 5xx or time-out, each through the quota; 0–6. */
      HUBSPOT_RETRIES: z.coerce.number().int().min(0).max(6).default(3),
      /** Worker: a HubSpot private-app access token (one portal). */
      HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
      /** Worker: another HubSpot API host (a sandbox CRM or a proxy). */
      HUBSPOT_API_BASE_URL: z.url().optional(),
      /**
       * Worker: the portal's quota per window, shared by all workers. Unset: by app type and tier
       * (OAuth 110; private app / service key 100 on Free and Starter, 190 on Professional and
       * Enterprise), then whatever HubSpot's X-HubSpot-RateLimit-* headers announce.
       */
      HUBSPOT_REQUESTS_PER_WINDOW: z.coerce.number().int().positive().optional(),
      /** Single-account mode: how leadstage is connected to the portal, and the portal's plan. */
      HUBSPOT_APP_TYPE: z.enum(['private', 'service-key', 'oauth']).default('private'),
      HUBSPOT_ACCOUNT_TIER: z.enum(['free', 'starter', 'professional', 'enterprise']).optional(),
      /** Single-account mode: the portal's IANA time zone (else read from HubSpot's account details). */
      HUBSPOT_ACCOUNT_TIMEZONE: z.string().min(1).optional(),
      HUBSPOT_WINDOW_MS: z.coerce.number().int().positive().default(10_000),
    })
    .superRefine(
      (env, ctx) => {
        const need = (name: keyof typeof env, source: Source) => {
          const value = env[name];
          const parsed = secret(name).safeParse(value);
          if (!parsed.success) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `${parsed.error.issues[0]!.message} (source "${source}" is enabled; drop it from LEADSTAGE_SOURCES to run without it)`,
            });
          }
        };
        if (!web) return; // the worker needs none of the webhook settings
        if (!env.PUBLIC_BASE_URL)
          ctx.addIssue({
            code: 'custom',
            path: ['PUBLIC_BASE_URL'],
            message: 'PUBLIC_BASE_URL is required: the absolute https URL the CRMs call',
          });
        if (env.LEADSTAGE_SOURCES.includes('hubspot')) need('HUBSPOT_CLIENT_SECRET', 'hubspot');
        if (env.LEADSTAGE_SOURCES.includes('events')) need('EVENTS_SIGNING_SECRET', 'events');
        if (env.LEADSTAGE_SOURCES.includes('salesforce')) {
          need('SALESFORCE_WEBHOOK_TOKEN', 'salesforce');
          const ids = (env.SALESFORCE_ORG_IDS ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          // With the connected app (OAuth client + encryption key), orgs arrive by install instead.
          const connectedApp = Boolean(env.SALESFORCE_CLIENT_ID && env.LEADSTAGE_ENCRYPTION_KEY);
          if (ids.length === 0 && !connectedApp)
            ctx.addIssue({
              code: 'custom',
              path: ['SALESFORCE_ORG_IDS'],
              message: 'SALESFORCE_ORG_IDS is required: comma-separated 15- or 18-character organization ids',
            });
          for (const id of ids) {
            if (!/^00D[a-zA-Z0-9]{12}([a-zA-Z0-9]{3})?$/.test(id))
              ctx.addIssue({
                code: 'custom',
                path: ['SALESFORCE_ORG_IDS'],
                message: `SALESFORCE_ORG_IDS: "${id}" is not an organization id (00D…, 15 or 18 characters)`,
              });
          }
        }
      },
      // Run even when other variables failed, so one start-up names every problem at once.
      { when: () => true },
    );

export type Env = z.infer<ReturnType<typeof envSchema>> & { salesforceOrgIds: string[]; PUBLIC_BASE_URL: string };

export type EnvResult = { ok: true; env: Env } | { ok: false; errors: string[] };

/**
 * Validate the environment. Messages name the variable, never its value (they may be secrets).
 * `web: false` (the worker alone) does not ask for the webhook settings.
 */
export function parseEnv(source: NodeJS.ProcessEnv, opts: { web?: boolean } = {}): EnvResult {
  // An empty variable means unset (compose passes `${X:-}` as ""), never an invalid value.
  const given = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema(opts.web ?? true).safeParse(given);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => (i.path.length ? `${String(i.path[0])}: ${i.message}` : i.message)),
    };
  }
  // Salesforce sends 18-character ids in outbound messages; compare on the case-sensitive 15-char prefix.
  const salesforceOrgIds = (parsed.data.SALESFORCE_ORG_IDS ?? '')
    .split(',')
    .map((s) => s.trim().slice(0, 15))
    .filter(Boolean);
  return { ok: true, env: { ...parsed.data, PUBLIC_BASE_URL: parsed.data.PUBLIC_BASE_URL ?? '', salesforceOrgIds } };
}

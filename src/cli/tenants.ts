import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { createTenants, secretBoxFromEnv, stateSecret } from '../app/tenants.ts';
import { INSTALL_LINK_DAYS, installConfigQuery } from '../app/install-links.ts';
import { CRMS } from '../app/crm-registry.ts';
import { checkTenantConfigFile } from '../app/tenant-configs.ts';
import { configPathFromEnv } from '../config/load-config.ts';
import { parseEnv, type Env } from '../platform/env.ts';
import { Keys } from '../platform/keys.ts';
import { createRedis } from '../platform/redis.ts';
import type { Tenant } from '../platform/tenant.ts';
import { TenantStore, type StoredTenant } from '../store/tenant-store.ts';
import { EXIT, loadConfigOrReport, tenantArg, type CliIo } from './cli-io.ts';

const USAGE = `usage: leadstage tenants list|show|pause|resume|remove [<crm:accountId>] [--json]
       leadstage tenants config <crm:accountId> <file>|--default   (the tenant's own config, checked like check-config)
       leadstage connect <${CRMS.map((c) => c.kind).join('|')}> [--sandbox] [--config <file in TENANT_CONFIG_DIR>]
                                (the install URL to open in a browser; with --config a link signed for ${INSTALL_LINK_DAYS} days
                                 that installs the account with that config file)
       leadstage keys rotate   (re-seal every tenant's tokens with LEADSTAGE_ENCRYPTION_KEY; keep the old key
                                in LEADSTAGE_ENCRYPTION_OLD_KEYS until this has run)
`;

/** A stored tenant as shown to an operator: never its credentials. */
function visible(t: StoredTenant) {
  const { credentials, ...rest } = t;
  return { ...rest, tenant: `${t.tenant.crm}:${t.tenant.id}`, credentials: Object.keys(credentials).sort().join(', ') };
}

/** Which config a tenant uses: its file and that file's version now (or why it is not valid now). */
function configOf(t: StoredTenant, dir: string | undefined) {
  if (!t.configFile) return { configFile: 'default', configVersion: "the default config's" };
  const check = checkTenantConfigFile(t.configFile, dir);
  return check.ok
    ? { configFile: t.configFile, configVersion: check.version }
    : { configFile: t.configFile, configVersion: `invalid now (workers keep the last good one): ${check.reason}` };
}

async function withStore<T>(io: CliIo, run: (store: TenantStore, env: Env) => Promise<T>): Promise<T | number> {
  const parsed = parseEnv(io.env, { web: false });
  if (!parsed.ok) {
    for (const e of parsed.errors) io.stderr(`${e}\n`);
    return EXIT.invalid;
  }
  if (!secretBoxFromEnv(parsed.env)) {
    io.stderr('LEADSTAGE_ENCRYPTION_KEY is not set: there is no tenant directory (single-account mode)\n');
    return EXIT.invalid;
  }
  const config = loadConfigOrReport(configPathFromEnv(io.env), io);
  if (!config) return EXIT.invalid;
  const redis = createRedis(parsed.env.REDIS_URL, 'worker');
  try {
    const { store } = createTenants(parsed.env, config, redis, new Keys(parsed.env.LEADSTAGE_REDIS_PREFIX));
    return await run(store!, parsed.env);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

/** `leadstage tenants …`: installed accounts and their status. */
export async function tenantsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, default: { type: 'boolean', default: false } },
  });
  const [action, id, file] = positionals;
  const tenant = tenantArg(id);
  const badConfigArgs = action === 'config' ? Boolean(file) === values.default : Boolean(file) || values.default;
  if (
    !action ||
    !['list', 'show', 'pause', 'resume', 'remove', 'config'].includes(action) ||
    (action !== 'list' && !tenant) ||
    badConfigArgs
  ) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  const out = await withStore(io, async (store, env) => {
    if (action === 'list') {
      const all = await Promise.all((await store.list()).map((r) => store.stored(r.tenant)));
      const rows = all.filter((t): t is StoredTenant => t !== null).map(visible);
      io.stdout(
        values.json
          ? `${JSON.stringify(rows, null, 2)}\n`
          : rows.map((r) => `${r.tenant.padEnd(28)} ${r.status.padEnd(12)} ${r.statusReason ?? ''}`).join('\n') +
              (rows.length ? '\n' : 'no installed tenants\n'),
      );
      return EXIT.ok;
    }
    const stored = await store.stored(tenant!);
    if (!stored) {
      io.stderr(`no installed tenant ${id}\n`);
      return EXIT.invalid;
    }
    if (action === 'show')
      io.stdout(`${JSON.stringify({ ...visible(stored), ...configOf(stored, env.TENANT_CONFIG_DIR) }, null, 2)}\n`);
    else if (action === 'config') return setConfig(store, tenant!, id!, file, env.TENANT_CONFIG_DIR, io);
    else if (action === 'remove') {
      await store.erase(tenant!);
      io.stdout(`${id}: removed, with all its data\n`);
    } else {
      await store.setStatus(
        tenant!,
        action === 'pause' ? 'paused' : 'active',
        action === 'pause' ? 'paused by an operator' : undefined,
      );
      io.stdout(`${id}: ${action === 'pause' ? 'paused' : 'active'}\n`);
    }
    return EXIT.ok;
  });
  return out;
}

/** `tenants config`: validate the file exactly like check-config; store it only when valid. */
async function setConfig(
  store: TenantStore,
  tenant: Tenant,
  id: string,
  file: string | undefined,
  dir: string | undefined,
  io: CliIo,
): Promise<number> {
  if (!file) {
    await store.setConfigFile(tenant, null);
    io.stdout(`${id}: the default config from now on (new work)\n`);
    return EXIT.ok;
  }
  const check = checkTenantConfigFile(file, dir);
  if (!check.ok) {
    io.stderr(`${check.path}: invalid config for ${id}, nothing stored: ${check.reason}\n`);
    return EXIT.invalid;
  }
  await store.setConfigFile(tenant, check.path);
  io.stdout(`${id}: config ${check.path} (version ${check.version}) from now on (new work)\n`);
  return EXIT.ok;
}

/**
 * `leadstage connect <crm>`: the install URL of this deployment (PUBLIC_BASE_URL). With `--config`
 * the link carries a config file name, checked now and signed with the deployment's key.
 */
export function connectCommand(args: string[], io: CliIo, now = Date.now()): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { sandbox: { type: 'boolean', default: false }, config: { type: 'string' } },
  });
  const crm = CRMS.find((c) => c.kind === positionals[0]);
  const baseUrl = io.env['PUBLIC_BASE_URL']?.replace(/\/+$/, '');
  if (!crm || !baseUrl) {
    io.stderr(`${USAGE}(needs PUBLIC_BASE_URL, the address this leadstage answers on)\n`);
    return EXIT.usage;
  }
  const query = new URLSearchParams(values.sandbox ? { env: 'sandbox' } : {});
  if (values.config !== undefined) {
    const dir = io.env['TENANT_CONFIG_DIR'];
    const secret = stateSecret({ LEADSTAGE_ENCRYPTION_KEY: io.env['LEADSTAGE_ENCRYPTION_KEY'] });
    if (!dir || !secret) {
      io.stderr(
        '--config needs TENANT_CONFIG_DIR (where tenant config files live) and LEADSTAGE_ENCRYPTION_KEY (signs the link)\n',
      );
      return EXIT.invalid;
    }
    const check = checkTenantConfigFile(values.config, dir);
    if (!check.ok || basename(check.path) !== values.config) {
      io.stderr(
        `${check.path}: cannot be an install link's config: ${check.ok ? 'give a file name in TENANT_CONFIG_DIR, no folders' : check.reason}\n`,
      );
      return EXIT.invalid;
    }
    for (const [k, v] of installConfigQuery(secret, crm.kind, values.config, now + INSTALL_LINK_DAYS * 86_400_000))
      query.set(k, v);
  }
  io.stdout(`${baseUrl}/oauth/${crm.kind}/install${query.size ? `?${query}` : ''}\n`);
  return EXIT.ok;
}

/** `leadstage keys rotate`: re-seal every tenant's credentials with the current key. */
export async function keysCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] !== 'rotate' || args.length !== 1) {
    io.stderr(USAGE);
    return EXIT.usage;
  }
  return withStore(io, async (store, env) => {
    const n = await store.reseal();
    io.stdout(`re-sealed the credentials of ${n} tenant(s) with key "${env.LEADSTAGE_ENCRYPTION_KEY_ID}"\n`);
    return EXIT.ok;
  });
}

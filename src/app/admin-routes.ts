import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type Router } from 'express';
import type { Queues } from '../platform/queues.ts';
import { bearerAllows } from '../platform/bearer.ts';
import type { TenantDirectory } from '../platform/tenant-directory.ts';
import type { TenantStore } from '../store/tenant-store.ts';
import { checkTenantConfigFile } from './tenant-configs.ts';

/**
 * Admin routes under /admin, only with `Authorization: Bearer <ADMIN_TOKEN>` (401 otherwise; off
 * when ADMIN_TOKEN is unset): the queue dashboard at /admin/queues, tenants with their status,
 * pause / resume / remove, and a tenant's own config file. Never a token or a credential in an answer.
 * `configDir` (TENANT_CONFIG_DIR): the only place the config route reads files from; unset, it is refused.
 */
export function adminRouter(opts: {
  token: string;
  tenants: TenantStore | null;
  directory: TenantDirectory;
  queues: Queues;
  configDir?: string;
}): Router {
  const router = express.Router();
  router.use('/admin', (req, res, next) => {
    if (bearerAllows(req.get('authorization'), opts.token)) return next();
    res.status(401).json({ error: 'admin routes need the bearer token' });
  });
  // The queue dashboard (bull-board): jobs per queue and state, failed jobs with their errors.
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: [opts.queues.recompute, opts.queues.resolve, opts.queues.maintenance].map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
  });
  router.use('/admin/queues', board.getRouter());
  router.get('/admin/tenants', async (_req, res) => {
    const all = await opts.directory.list();
    res.json(
      all.map((r) => ({
        crm: r.tenant.crm,
        id: r.tenant.id,
        status: r.status,
        instanceUrl: r.instanceUrl ?? null,
        timezone: r.timezone ?? null,
        tier: r.tier ?? null,
        limit: r.limit ?? null,
        configVersion: r.configVersion ?? null,
      })),
    );
  });
  for (const [action, status] of [
    ['pause', 'paused'],
    ['resume', 'active'],
  ] as const) {
    router.post(`/admin/tenants/:crm/:id/${action}`, async (req, res) => {
      const t = { crm: String(req.params['crm']), id: String(req.params['id']) };
      const ok = opts.tenants
        ? await opts.tenants.setStatus(t, status, action === 'pause' ? 'paused by an admin' : undefined)
        : false;
      res.status(ok ? 200 : 404).json(ok ? { status } : { error: 'no installed tenant with that id' });
    });
  }
  // A tenant's own config: checked like check-config, stored only when valid; `{ "default": true }` drops it.
  router.put('/admin/tenants/:crm/:id/config', express.json({ limit: '4kb' }), async (req, res) => {
    const t = { crm: String(req.params['crm']), id: String(req.params['id']) };
    if (!opts.tenants || !(await opts.tenants.stored(t)))
      return void res.status(404).json({ error: 'no installed tenant with that id' });
    const body = (req.body ?? {}) as { file?: unknown; default?: unknown };
    if (body.default === true) {
      await opts.tenants.setConfigFile(t, null);
      return void res.json({ configFile: null });
    }
    if (typeof body.file !== 'string' || !body.file)
      return void res
        .status(400)
        .json({ error: 'body must be { "file": "<name in TENANT_CONFIG_DIR>" } or { "default": true }' });
    if (!opts.configDir)
      return void res
        .status(400)
        .json({ error: 'TENANT_CONFIG_DIR is not set: per-tenant config files cannot be set over HTTP' });
    const check = checkTenantConfigFile(body.file, opts.configDir);
    if (!check.ok)
      return void res
        .status(400)
        .json({ error: 'invalid config; nothing stored', file: check.path, reason: check.reason });
    await opts.tenants.setConfigFile(t, check.path);
    res.json({ configFile: check.path, configVersion: check.version });
  });
  router.delete('/admin/tenants/:crm/:id', async (req, res) => {
    const t = { crm: String(req.params['crm']), id: String(req.params['id']) };
    if (!opts.tenants || !(await opts.tenants.stored(t)))
      return void res.status(404).json({ error: 'no installed tenant with that id' });
    await opts.tenants.erase(t);
    res.json({ removed: true });
  });
  return router;
}

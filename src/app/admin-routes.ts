import express, { type Router } from 'express';
import { bearerAllows } from '../platform/bearer.ts';
import type { TenantDirectory } from '../platform/tenant-directory.ts';
import type { TenantStore } from '../store/tenant-store.ts';

/**
 * Admin routes under /admin, only with `Authorization: Bearer <ADMIN_TOKEN>` (401 otherwise; off
 * when ADMIN_TOKEN is unset): tenants with their status, and pause / resume / remove. Never a
 * token or a credential in an answer.
 */
export function adminRouter(opts: { token: string; tenants: TenantStore | null; directory: TenantDirectory }): Router {
  const router = express.Router();
  router.use('/admin', (req, res, next) => {
    if (bearerAllows(req.get('authorization'), opts.token)) return next();
    res.status(401).json({ error: 'admin routes need the bearer token' });
  });
  router.get('/admin/tenants', async (_req, res) => {
    const all = await opts.directory.list();
    res.json(all.map((r) => ({ crm: r.tenant.crm, id: r.tenant.id, status: r.status, instanceUrl: r.instanceUrl ?? null, timezone: r.timezone ?? null, tier: r.tier ?? null })));
  });
  for (const [action, status] of [['pause', 'paused'], ['resume', 'active']] as const) {
    router.post(`/admin/tenants/:crm/:id/${action}`, async (req, res) => {
      const t = { crm: String(req.params['crm']), id: String(req.params['id']) };
      const ok = opts.tenants ? await opts.tenants.setStatus(t, status, action === 'pause' ? 'paused by an admin' : undefined) : false;
      res.status(ok ? 200 : 404).json(ok ? { status } : { error: 'no installed tenant with that id' });
    });
  }
  router.delete('/admin/tenants/:crm/:id', async (req, res) => {
    const t = { crm: String(req.params['crm']), id: String(req.params['id']) };
    if (!opts.tenants || !(await opts.tenants.stored(t))) return void res.status(404).json({ error: 'no installed tenant with that id' });
    await opts.tenants.erase(t);
    res.json({ removed: true });
  });
  return router;
}

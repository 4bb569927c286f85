import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIngress, type TestIngress } from '../helpers/ingress.ts';

const TOKEN = 'admin-token-0123456789abcdef';
let t: TestIngress;
beforeAll(async () => {
  t = await startIngress({ ADMIN_TOKEN: TOKEN });
});
afterAll(() => t.close());

describe('admin routes (ADMIN_TOKEN)', () => {
  it('answer 401 without the bearer token', async () => {
    for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/tenants']) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(401);
      expect(
        (await fetch(`${t.url}${path}`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status,
        path,
      ).toBe(401);
    }
  });

  it('serve the queue dashboard and its API with it', async () => {
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const page = await fetch(`${t.url}/admin/queues`, auth);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await fetch(`${t.url}/admin/queues/api/queues`, auth);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([
      'leadstage-maintenance',
      'leadstage-recompute',
      'leadstage-resolve',
    ]);
    expect((await fetch(`${t.url}/admin/tenants`, auth)).status).toBe(200);
  });
});

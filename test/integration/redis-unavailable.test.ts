import { afterEach, describe, expect, it } from 'vitest';
import { hsEvent, postHubSpot, startIngress, type TestIngress } from '../helpers/ingress.ts';
import { freePort, PrivateRedis } from '../helpers/redis-server.ts';

let t: TestIngress | undefined;
let server: PrivateRedis | undefined;
afterEach(async () => {
  server?.thaw();
  await t?.close();
  await server?.kill();
  t = undefined;
  server = undefined;
});

async function timedPost(
  ingress: TestIngress,
  objectId: number,
): Promise<{ status: number; ms: number; retryAfter: string | null }> {
  const started = performance.now();
  const res = await postHubSpot(
    ingress.url,
    '/webhooks/hubspot',
    JSON.stringify([hsEvent({ subscriptionType: 'contact.creation', objectId })]),
  );
  return { status: res.status, ms: performance.now() - started, retryAfter: res.headers.get('retry-after') };
}

describe('Redis unavailable → 503 within 2 s, so the CRM retries', () => {
  it('when Redis cannot be reached at all', async () => {
    t = await startIngress({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, { redisReadyWaitMs: 100 });
    const r = await timedPost(t, 1);
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe('10');
    expect(r.ms).toBeLessThan(2_000);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('when Redis dies while serving, and recovers when it comes back', async () => {
    server = new PrivateRedis(await freePort());
    await server.start();
    t = await startIngress({ REDIS_URL: server.url });
    expect((await timedPost(t, 1)).status).toBe(204);
    await server.kill();
    const down = await timedPost(t, 2);
    expect(down.status).toBe(503);
    expect(down.ms).toBeLessThan(2_000);
    await server.start();
    let status = 0;
    for (let i = 0; i < 40 && status !== 204; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await timedPost(t, 3)).status;
    }
    expect(status).toBe(204);
  });

  it('when Redis hangs without answering', async () => {
    server = new PrivateRedis(await freePort());
    await server.start();
    t = await startIngress({ REDIS_URL: server.url });
    server.freeze();
    const r = await timedPost(t, 1);
    expect(r.status).toBe(503);
    expect(r.ms).toBeLessThan(2_000);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503);
  });
});

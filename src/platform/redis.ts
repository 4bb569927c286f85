import { Redis, type RedisOptions } from 'ioredis';

/**
 * Two kinds of connection. A producer sits on the webhook request path and must fail fast, so
 * the CRM gets a 503 and retries instead of waiting on a dead server; a worker connection waits
 * and reconnects forever (BullMQ requires maxRetriesPerRequest: null for workers).
 */
export function createRedis(url: string, role: 'producer' | 'worker', extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  const byRole: RedisOptions =
    role === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1_500 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  return new Redis(url, { ...base, ...byRole, ...extra });
}

/** Is this error Redis being unreachable or slow (answer 503) rather than a bug (500)? */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const m = err.message;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTCONN|LOADING|READONLY|CLUSTERDOWN/.test(
      m,
    )
  );
}

/**
 * Wait until the connection is ready, up to `ms`. Returns false on time-out: the caller decides
 * whether to go on (the web server does: it answers 503 and /readyz says so until Redis is back).
 */
export async function waitForReady(redis: Redis, ms: number): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.on('ready', onReady);
  });
}

/** Delete every key under `prefix:` (tests, benchmarks and the demo clean up only what they made). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

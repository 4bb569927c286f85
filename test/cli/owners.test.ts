import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { Keys } from '../../src/platform/keys.ts';
import { deleteByPrefix } from '../../src/platform/redis.ts';
import { OwnerAwayStore } from '../../src/store/owner-away-store.ts';
import { REDIS_URL } from '../helpers/ingress.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const prefix = `lsowners${randomBytes(3).toString('hex')}`;
const redis = new Redis(REDIS_URL);
const NOW = new Date('2026-11-23T15:00:00Z');
afterAll(async () => {
  await deleteByPrefix(redis, prefix);
  await redis.quit();
});

const run = async (...args: string[]) => {
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['owners', ...args],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readFile: () => '',
      env: { REDIS_URL, LEADSTAGE_REDIS_PREFIX: prefix, LEADSTAGE_CONFIG: `${ROOT}config/leadstage.yaml` },
    },
    () => NOW,
  );
  return { code, stdout, stderr };
};

describe('leadstage owners', () => {
  it('marks an owner away through a day (business-hours zone), lists it, and takes it back', async () => {
    const away = await run('away', 'rep-2', '--until', '2026-11-25');
    expect(away.code, away.stderr).toBe(0);
    expect(away.stdout).toBe('rep-2 is away until 2026-11-26T00:00:00.000-05:00: the rotation skips them\n');
    const marked = await new OwnerAwayStore(redis, new Keys(prefix)).away(NOW.getTime());
    expect(marked.get('rep-2')).toBe(Date.parse('2026-11-26T05:00:00Z'));

    const list = await run('list', '--json');
    expect(JSON.parse(list.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'rep-2', status: 'away until 2026-11-26T00:00:00.000-05:00' }),
        expect.objectContaining({ key: 'rep-1', status: 'available' }),
        expect.objectContaining({ key: 'rep-4', status: 'inactive (config)' }),
      ]),
    );
    expect((await run('back', 'rep-2')).stdout).toBe('rep-2 is back in the rotation\n');
    expect((await new OwnerAwayStore(redis, new Keys(prefix)).away(NOW.getTime())).size).toBe(0);
  });

  it.each([
    [['away', 'rep-2'], 2, /usage: leadstage owners/],
    [['away', 'rep-2', '--until', '2026-11-01'], 2, /not a future date or time/],
    [['away', 'rep-99', '--until', '2026-12-01'], 1, /unknown owner "rep-99"/],
    [['hire', 'rep-2'], 2, /usage/],
  ])('refuses %j', async (args, code, message) => {
    const r = await run(...(args as string[]));
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
  });
});

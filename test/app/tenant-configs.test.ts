import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTenantConfigFile, TenantConfigs } from '../../src/app/tenant-configs.ts';
import { createLogger } from '../../src/platform/logger.ts';

// Per-tenant config files: checked like check-config before they are stored, and re-read when a
// job asks for one again — a valid change is used, an invalid one leaves the last good config.
const dir = mkdtempSync(join(tmpdir(), 'ls-tenant-cfg-'));
const shipped = readFileSync(new URL('../../config/leadstage.yaml', import.meta.url), 'utf8');
const withHalfLife = (days: number) => shipped.replace(/halfLifeDays: \d+/, `halfLifeDays: ${days}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkTenantConfigFile', () => {
  it('accepts a valid file with its absolute path and version, and names path and reason otherwise', () => {
    writeFileSync(join(dir, 'good.yaml'), withHalfLife(21));
    writeFileSync(join(dir, 'bad.yaml'), shipped.replace(/halfLifeDays: \d+/, 'halfLifeDays: -3'));
    const good = checkTenantConfigFile('good.yaml', dir);
    expect(good).toMatchObject({
      ok: true,
      path: join(dir, 'good.yaml'),
      version: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    const bad = checkTenantConfigFile(join(dir, 'bad.yaml'));
    expect(bad).toMatchObject({
      ok: false,
      path: join(dir, 'bad.yaml'),
      reason: expect.stringMatching(/bad\.yaml:\d+ engagement\.halfLifeDays/),
    });
    expect(checkTenantConfigFile('missing.yaml', dir)).toMatchObject({
      ok: false,
      reason: 'cannot read the config: file not found',
    });
  });

  it('refuses anything outside the allowed directory', () => {
    expect(checkTenantConfigFile('../etc/passwd', dir)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not inside TENANT_CONFIG_DIR'),
    });
    expect(checkTenantConfigFile('/etc/hostname', dir)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not inside TENANT_CONFIG_DIR'),
    });
  });
});

describe('TenantConfigs', () => {
  it('uses a changed valid file for new work, keeps the last good one when the change is invalid', () => {
    const file = join(dir, 'tenant.yaml');
    writeFileSync(file, withHalfLife(10));
    let now = 0;
    const configs = new TenantConfigs({ now: () => now, recheckMs: 1_000, log: createLogger('silent') });
    const first = configs.resolve(file);
    expect(first.config.engagement.halfLifeDays).toBe(10);

    writeFileSync(file, withHalfLife(40));
    now = 500; // within the recheck interval: not read again
    expect(configs.resolve(file).config.engagement.halfLifeDays).toBe(10);
    now = 1_500;
    const second = configs.resolve(file);
    expect(second.config.engagement.halfLifeDays).toBe(40);
    expect(second.version).not.toBe(first.version);

    writeFileSync(file, 'engagement: [unclosed');
    now = 3_000;
    expect(configs.resolve(file)).toMatchObject({
      version: second.version,
      config: { engagement: { halfLifeDays: 40 } },
    });
    rmSync(file);
    now = 4_500;
    expect(configs.resolve(file).version).toBe(second.version);
  });

  it('fails a file that was never valid', () => {
    const file = join(dir, 'never.yaml');
    writeFileSync(file, 'version: 1\n');
    expect(() => new TenantConfigs().resolve(file)).toThrow(/never\.yaml/);
    expect(() => new TenantConfigs().resolve(join(dir, 'absent.yaml'))).toThrow(/cannot read/);
  });
});

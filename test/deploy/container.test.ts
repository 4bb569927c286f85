import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// No Docker engine runs where the tests run, so this checks what can be checked without one.
const ROOT = new URL('../..', import.meta.url).pathname;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** Every project file reachable by relative imports from an entry point. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s+'(\.{1,2}\/[^']+)'|import\('(\.{1,2}\/[^']+)'\)/g)) {
      const target = resolve(dirname(file), m[1] ?? m[2]!);
      expect(existsSync(target), `${relative(ROOT, file)} imports missing ${relative(ROOT, target)}`).toBe(true);
      visit(target);
    }
  };
  visit(join(ROOT, entry));
  return seen;
}

describe('Dockerfile', () => {
  it('copies every directory the server imports from', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(\S+) /gm)].map((m) => m[1]!);
    const dirs = new Set([...reachable('src/app/main.ts')].map((f) => relative(ROOT, f).split('/')[0]!));
    for (const d of dirs) expect(copied, `Dockerfile does not copy ${d}/`).toContain(d);
    expect(copied).toContain('config'); // read at start, not imported
  });

  it('runs the entry point on Node 24 as a non-root user', () => {
    expect(dockerfile).toMatch(/^FROM node:24-/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "src\/app\/main.ts"\]$/m);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'));
  it('sets only environment variables the services know, and every required one', () => {
    const known = readFileSync(join(ROOT, 'src/platform/env.ts'), 'utf8');
    for (const service of ['web', 'worker']) {
      for (const name of Object.keys(compose.services[service].environment))
        expect(known, `${name} is not read by src/platform/env.ts`).toContain(`${name}:`);
    }
    expect(compose.services.web.command).toEqual(['node', 'src/app/main.ts', 'web']);
    expect(compose.services.worker.command).toEqual(['node', 'src/app/main.ts', 'worker']);
    const env = Object.keys(compose.services.web.environment);
    for (const required of [
      'REDIS_URL',
      'PUBLIC_BASE_URL',
      'HUBSPOT_CLIENT_SECRET',
      'SALESFORCE_ORG_IDS',
      'SALESFORCE_WEBHOOK_TOKEN',
      'EVENTS_SIGNING_SECRET',
    ]) {
      expect(env).toContain(required);
    }
  });

  it('checks the worker on its own health port, and runs both services under an init', () => {
    const worker = compose.services.worker;
    expect(worker.healthcheck.test.join(' ')).toContain(`127.0.0.1:${worker.environment.WORKER_HEALTH_PORT}/readyz`);
    expect(worker.init).toBe(true);
    expect(compose.services.web.init).toBe(true);
  });

  it('runs Redis with persistence and without eviction (queues must not vanish)', () => {
    const cmd = compose.services.redis.command.join(' ');
    expect(cmd).toContain('--appendonly yes');
    expect(cmd).toContain('--maxmemory-policy noeviction');
  });
});

describe('.env.example', () => {
  it('has every variable of the README table, and only ones the environment reads', () => {
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const names = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const table = new Set(
      [...readme.matchAll(/^\| (`[A-Z][A-Z0-9_]*`(?:, `[A-Z][A-Z0-9_]*`)*) \|/gm)].flatMap((m) =>
        [...m[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map((x) => x[1]!),
      ),
    );
    const known = readFileSync(join(ROOT, 'src/platform/env.ts'), 'utf8');
    for (const n of table) expect(names, `${n} is in the README table but not in .env.example`).toContain(n);
    for (const n of names) expect(known, `${n} is not read by src/platform/env.ts`).toContain(`${n}:`);
  });
});

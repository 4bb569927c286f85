import { configPathFromEnv, loadConfigFile } from '../config/load-config.ts';
import { parseEnv } from '../platform/env.ts';
import { ConfigSource } from './config-source.ts';
import { createLogger } from '../platform/logger.ts';
import { startWebService } from './web-service.ts';
import { startWorkerService } from './worker-service.ts';

type Mode = 'web' | 'worker' | 'all';

/**
 * `npm start` (web + worker), `npm run start:web`, `npm run start:worker`. Validate the
 * environment and the config first; either invalid → print every problem (names, never secret
 * values) and exit 1 before anything starts.
 */
async function main(mode: Mode): Promise<void> {
  const parsed = parseEnv(process.env, { web: mode !== 'worker' });
  if (!parsed.ok) {
    console.error(
      `leadstage: refusing to start, invalid environment:\n${parsed.errors.map((e) => `  ${e}`).join('\n')}`,
    );
    process.exit(1);
  }
  const env = parsed.env;
  const log = createLogger(env.LOG_LEVEL);
  const configPath = configPathFromEnv(process.env);
  const loaded = loadConfigFile(configPath);
  if (!loaded.ok) {
    console.error(`leadstage: refusing to start, ${loaded.error.message}`);
    process.exit(1);
  }
  // SIGHUP or an edit of the file: validate, switch for new work if valid, else keep the old one.
  const configSource = new ConfigSource(configPath, loaded.config, log);
  const stopWatching = configSource.watch();
  process.on('SIGHUP', () => configSource.reload());
  const services: { stop(): Promise<void> }[] = [{ stop: async () => stopWatching() }];
  try {
    if (mode !== 'worker') services.push(await startWebService({ env, config: loaded.config, log, configSource }));
    if (mode !== 'web') services.push(await startWorkerService({ env, config: loaded.config, log, configSource }));
  } catch (err) {
    console.error(`leadstage: refusing to start, ${(err as Error).message}`);
    await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
    process.exit(1);
  }

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS + 5_000);
    hard.unref();
    Promise.all(services.map((s) => s.stop())).then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

const arg = process.argv[2] ?? 'all';
if (arg !== 'web' && arg !== 'worker' && arg !== 'all') {
  console.error(`usage: node src/main.ts [web|worker|all] (got "${arg}")`);
  process.exit(2);
}
await main(arg);

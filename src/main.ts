import { configPathFromEnv, loadConfigFile } from './config/load-config.ts';
import { parseEnv } from './server/env.ts';
import { createLogger } from './server/logger.ts';
import { startWebService } from './server/web-service.ts';

/**
 * `npm start` / `npm run start:web`: validate the environment and the config, then serve.
 * Either invalid → print every problem (names, never secret values) and exit 1 before binding.
 */
async function main(): Promise<void> {
  const parsed = parseEnv(process.env);
  if (!parsed.ok) {
    console.error(`leadstage: refusing to start, invalid environment:\n${parsed.errors.map((e) => `  ${e}`).join('\n')}`);
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
  const web = await startWebService({ env, config: loaded.config, log });

  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, env.SHUTDOWN_TIMEOUT_MS + 5_000);
    hard.unref();
    web.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

await main();

// The server side of bench:ingest, in its own process: our webhook service and, on a second port,
// a bare express route that only reads the raw body. Prints {"ours":port,"bare":port} when ready.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfigFile } from '../src/config/load-config.ts';
import { parseEnv } from '../src/platform/env.ts';
import { createLogger } from '../src/platform/logger.ts';
import { startWebService } from '../src/app/web-service.ts';

const parsed = parseEnv({ ...process.env, PORT: '0', LOG_LEVEL: 'silent', LEADSTAGE_SOURCES: 'hubspot' });
if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
const loaded = loadConfigFile('config/leadstage.yaml');
if (!loaded.ok) throw loaded.error;
const web = await startWebService({ env: parsed.env, config: loaded.config, log: createLogger('silent') });

const bare = express();
bare.post('/webhooks/hubspot', express.raw({ type: () => true, limit: parsed.env.MAX_BODY_BYTES }), (req, res) => {
  if (!Buffer.isBuffer(req.body)) return void res.status(400).end();
  res.status(204).end();
});
const bareServer = createServer(bare);
bareServer.keepAliveTimeout = 65_000;
bareServer.listen(0);
await once(bareServer, 'listening');
console.log(JSON.stringify({ ours: web.port, bare: (bareServer.address() as AddressInfo).port }));

process.on('SIGTERM', async () => {
  bareServer.close();
  await web.stop();
  process.exit(0);
});

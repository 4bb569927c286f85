import { createHash, randomBytes } from 'node:crypto';
import express, { type Response, type Router } from 'express';
import type { CrmConnector, CrmModule } from '../platform/crm-module.ts';
import type { Logger } from '../platform/logger.ts';
import { OAuthError } from '../platform/oauth.ts';
import { tenantKey } from '../platform/tenant.ts';
import type { OAuthStates } from '../store/oauth-states.ts';
import type { TenantStore } from '../store/tenant-store.ts';
import type { LeadstageConfig } from '../core/model.ts';
import { installConfigOf } from './install-links.ts';
import { checkTenantConfigFile } from './tenant-configs.ts';

export interface OAuthRoutesOptions {
  crms: readonly CrmModule[];
  env: Parameters<NonNullable<CrmModule['oauth']>>[0];
  publicBaseUrl: string;
  states: OAuthStates;
  tenants: TenantStore;
  /** The connector of a CRM, to run its setup on a fresh install. */
  connector: (kind: string) => CrmConnector | undefined;
  configFor: (file: string | undefined) => LeadstageConfig;
  /** Verifies install links that pick a config file (`leadstage connect --config`), signed with it. */
  linkSecret: Buffer;
  /** TENANT_CONFIG_DIR: where a link's config name is looked up; unset, such links are refused. */
  configDir?: string;
  log: Logger;
}

const SALESFORCE_HOSTS: Record<string, string> = {
  production: 'https://login.salesforce.com',
  sandbox: 'https://test.salesforce.com',
};

function page(res: Response, status: number, title: string, text: string): void {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.status(status).type('html').send(`<!doctype html><meta charset="utf-8"><title>leadstage — ${esc(title)}</title>
<body style="font-family:system-ui;max-width:40em;margin:4em auto"><h1>${esc(title)}</h1><p>${esc(text)}</p></body>`);
}

/**
 * The connected app's install: GET /oauth/:crm/install redirects to the CRM's consent page with a
 * signed, single-use, expiring state (and PKCE where the CRM wants it); GET /oauth/:crm/callback
 * checks the state, exchanges the code, stores the tenant (tokens sealed) as installing, runs
 * the CRM's setup, and activates it — or erases it and says why, so no half-installed tenant stays.
 */
export function oauthRouter(opts: OAuthRoutesOptions): Router {
  const router = express.Router();
  const redirectUri = (crm: string) => `${opts.publicBaseUrl}/oauth/${crm}/callback`;
  const provider = (crm: string) => opts.crms.find((m) => m.kind === crm)?.oauth?.(opts.env) ?? null;

  router.get('/oauth/:crm/install', async (req, res) => {
    const crm = String(req.params['crm']);
    const p = provider(crm);
    if (!p) return page(res, 404, 'Not available', `Installing on ${crm} is not configured on this server.`);
    // A config choice only from a link the operator signed, and only a file inside TENANT_CONFIG_DIR.
    const choice = installConfigOf(opts.linkSecret, crm, req.query, Date.now());
    if (!choice.ok || (choice.name && !opts.configDir)) {
      opts.log.warn(
        { crm, reason: choice.ok ? 'no_config_dir' : choice.reason },
        'install link with a config choice refused',
      );
      return page(
        res,
        400,
        'Install link not valid',
        'This install link was altered or has expired. Ask for a new one.',
      );
    }
    let configFile: string | undefined;
    if (choice.name) {
      const check = checkTenantConfigFile(choice.name, opts.configDir);
      if (!check.ok) {
        opts.log.error(
          { crm, path: check.path, reason: check.reason },
          'install link names a config that is not valid now',
        );
        return page(
          res,
          400,
          'Not available',
          'The configuration chosen for this install link cannot be used right now. Ask the operator.',
        );
      }
      configFile = check.path;
    }
    const env = String(req.query['env'] ?? 'production');
    const loginHost = crm === 'salesforce' && env === 'sandbox' ? SALESFORCE_HOSTS['sandbox'] : undefined;
    const verifier = p.pkce ? randomBytes(48).toString('base64url') : undefined;
    const state = await opts.states.create({
      crm,
      ...(verifier ? { verifier } : {}),
      ...(loginHost ? { loginHost } : {}),
      ...(configFile ? { configFile } : {}),
    });
    const challenge = verifier ? createHash('sha256').update(verifier).digest('base64url') : undefined;
    res.redirect(
      302,
      p.authorizeUrl({
        state,
        redirectUri: redirectUri(crm),
        ...(challenge ? { codeChallenge: challenge } : {}),
        ...(loginHost ? { loginHost } : {}),
      }),
    );
  });

  router.get('/oauth/:crm/callback', async (req, res) => {
    const crm = String(req.params['crm']);
    const p = provider(crm);
    if (!p) return page(res, 404, 'Not available', `Installing on ${crm} is not configured on this server.`);
    const pending = await opts.states.take(req.query['state']);
    if (!pending || pending.crm !== crm) {
      opts.log.warn({ crm, reason: 'bad_state' }, 'oauth callback refused');
      return page(
        res,
        400,
        'Install link expired',
        'This install link is missing, expired or was already used. Start the install again.',
      );
    }
    if (req.query['error']) {
      opts.log.warn({ crm, reason: String(req.query['error']).slice(0, 60) }, 'oauth consent not given');
      return page(
        res,
        400,
        'Not installed',
        'The CRM did not grant access (consent was denied or cancelled). Nothing was installed.',
      );
    }
    const code = req.query['code'];
    if (typeof code !== 'string' || code.length === 0 || code.length > 2_000)
      return page(res, 400, 'Not installed', 'The CRM sent no authorization code.');
    let installed;
    try {
      installed = await p.exchange({
        code,
        redirectUri: redirectUri(crm),
        ...(pending.verifier ? { codeVerifier: pending.verifier } : {}),
        ...(pending.loginHost ? { loginHost: pending.loginHost } : {}),
      });
    } catch (err) {
      const message =
        err instanceof OAuthError ? err.message : 'The CRM could not be reached to finish the install; try again.';
      opts.log.warn({ crm, reason: (err as Error).name }, 'oauth code exchange failed');
      return page(res, 400, 'Not installed', message);
    }
    const { tenant } = installed;
    await opts.tenants.put({
      ...installed,
      status: 'installing',
      ...(pending.configFile ? { configFile: pending.configFile } : {}),
    });
    try {
      // A re-install keeps the config file an operator gave the tenant: set up against that one.
      const configFile = (await opts.tenants.stored(tenant))?.configFile;
      const record = { ...installed, status: 'installing' as const, config: opts.configFor(configFile) };
      const setup = await opts.connector(crm)?.setup?.(record);
      if (setup?.problems.length)
        throw new OAuthError(`the account does not match the config: ${setup.problems.join('; ')}`);
      await opts.tenants.setStatus(tenant, 'active');
      opts.log.info({ tenant: tenantKey(tenant), setup: setup?.done.length ?? 0 }, 'tenant installed');
      return page(
        res,
        200,
        'leadstage is installed',
        `Account ${tenant.id} is connected. New activity is scored from now on; scores, stages and follow-up tasks appear on the records.`,
      );
    } catch (err) {
      await opts.tenants.erase(tenant);
      opts.log.warn({ tenant: tenantKey(tenant), err: (err as Error).message }, 'install setup failed; tenant removed');
      return page(
        res,
        400,
        'Not installed',
        err instanceof OAuthError ? err.message : 'Setting up the account failed; nothing was kept. Try again.',
      );
    }
  });
  return router;
}

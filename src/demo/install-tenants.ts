import type { Tenant } from '../platform/tenant.ts';
import type { SandboxCrm } from '../sandbox/sandbox-crm.ts';

/**
 * Installing tenants of the connected app against the sandbox CRM, through leadstage's own routes
 * as a browser and an operator would: the install link, the CRM's consent page, the callback; then
 * the admin route that gives a tenant its own config. For the demo, tests and benches.
 */

/** The environment that turns on the connected app against `sandbox` (OAuth clients, sealing key). */
export function connectedAppEnv(sandbox: SandboxCrm, encryptionKey: Buffer): Record<string, string> {
  return {
    HUBSPOT_CLIENT_ID: sandbox.hubspot.codeFlow.client.id,
    HUBSPOT_CLIENT_SECRET: sandbox.hubspot.codeFlow.client.secret,
    HUBSPOT_AUTH_BASE_URL: sandbox.url,
    HUBSPOT_API_BASE_URL: sandbox.url,
    SALESFORCE_CLIENT_ID: sandbox.salesforce.client.id,
    SALESFORCE_CLIENT_SECRET: sandbox.salesforce.client.secret,
    SALESFORCE_LOGIN_URL: sandbox.url,
    LEADSTAGE_ENCRYPTION_KEY: encryptionKey.toString('base64'),
  };
}

export interface InstallOutcome {
  /** The callback page said "leadstage is installed". */
  ok: boolean;
  status: number;
  /** The text of the page the callback answered (why, when not installed). */
  page: string;
  tenant: Tenant;
}

export interface InstallOptions {
  /** HubSpot: the portal picked on the sandbox's consent page (default: its first portal). */
  portalId?: string;
  /** Salesforce: log in at the sandbox login host (`?env=sandbox`). */
  salesforceSandbox?: boolean;
  /** The install link to open, e.g. one `leadstage connect --config` printed (default: the plain one). */
  link?: string;
}

/**
 * Install one account through `leadstageUrl`'s install route: follow the redirect to the sandbox's
 * consent page and back to the callback, as a browser does. The HTML page is reduced to its text.
 */
export async function installTenant(
  leadstageUrl: string,
  sandbox: SandboxCrm,
  crm: 'hubspot' | 'salesforce',
  opts: InstallOptions = {},
): Promise<InstallOutcome> {
  const portalId = opts.portalId ?? sandbox.hubspot.portalId;
  if (crm === 'hubspot') {
    if (!sandbox.hubspotPortals.has(portalId)) throw new Error(`the sandbox has no HubSpot portal ${portalId}`);
    sandbox.hubspotConsentPortal = portalId;
  }
  const tenant = crm === 'hubspot' ? { crm, id: portalId } : { crm, id: sandbox.salesforce.orgId.slice(0, 15) };
  const link = opts.link ?? `${leadstageUrl}/oauth/${crm}/install${opts.salesforceSandbox ? '?env=sandbox' : ''}`;
  const start = await fetch(link, { redirect: 'manual' });
  const consent = start.status === 302 ? await fetch(start.headers.get('location')!, { redirect: 'manual' }) : start;
  const done = consent.status === 302 ? await fetch(consent.headers.get('location')!, { redirect: 'manual' }) : consent;
  const page = (await done.text())
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c)))
    .replace(/\s+/g, ' ')
    .trim();
  return { ok: done.status === 200 && page.includes('leadstage is installed'), status: done.status, page, tenant };
}

/**
 * Give an installed tenant its own config file through `PUT /admin/tenants/:crm/:id/config`
 * (`file`: a name inside the server's TENANT_CONFIG_DIR), or back the default with `null`.
 */
export async function setTenantConfig(
  leadstageUrl: string,
  adminToken: string,
  tenant: Tenant,
  file: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(
    `${leadstageUrl}/admin/tenants/${encodeURIComponent(tenant.crm)}/${encodeURIComponent(tenant.id)}/config`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(file === null ? { default: true } : { file }),
    },
  );
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

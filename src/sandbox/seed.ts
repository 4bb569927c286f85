import { readFileSync } from 'node:fs';
import type { SfFieldSpec } from './salesforce-face.ts';
import type { SandboxCrm } from './sandbox-crm.ts';

export interface Seed {
  hubspot: {
    portalId: string;
    owners: { id: string; archived: boolean; firstName?: string; lastName?: string; email?: string }[];
    contacts: { id: string; role: string; properties: Record<string, string | null> }[];
  };
  salesforce: {
    orgId: string;
    users: { Id: string; IsActive: boolean; FirstName?: string; LastName?: string; Name?: string }[];
    schema: { Lead: SfFieldSpec[]; Contact: SfFieldSpec[] };
    records: { type: 'Lead' | 'Contact'; role: string; record: Record<string, unknown> & { Id: string } }[];
  };
}

export const SEED_PATH = new URL('./seed.json', import.meta.url);

export function readSeed(path: URL | string = SEED_PATH): Seed {
  return JSON.parse(readFileSync(path, 'utf8')) as Seed;
}

/** Fill the sandbox from a seed: HubSpot contacts and owners; Salesforce Leads, Contacts (with Accounts), Users and schema. */
export function loadSeed(sandbox: SandboxCrm, seed: Seed): void {
  for (const o of seed.hubspot.owners) sandbox.hubspot.owners.push({ ...o });
  for (const c of seed.hubspot.contacts)
    sandbox.hubspot.contacts.set(c.id, { id: c.id, properties: { ...c.properties } });
  for (const u of seed.salesforce.users) sandbox.salesforce.records.User.set(u.Id, { ...u });
  sandbox.salesforce.schema.Lead = seed.salesforce.schema.Lead;
  sandbox.salesforce.schema.Contact = seed.salesforce.schema.Contact;
  for (const { type, record } of seed.salesforce.records) {
    const { _account, ...fields } = record as Record<string, unknown> & { Id: string; _account?: string };
    if (_account && fields['AccountId'])
      sandbox.salesforce.records.Account.set(String(fields['AccountId']), {
        Id: String(fields['AccountId']),
        Name: _account,
      });
    sandbox.salesforce.records[type].set(fields.Id, { ...fields });
  }
}

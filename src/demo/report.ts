import { DateTime } from 'luxon';
import { mappingFor } from '../core/crm-mapping.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { SandboxCrm } from '../sandbox/sandbox-crm.ts';
import type { Seed } from '../sandbox/seed.ts';

/** What each seeded persona stands for, in a reader's words. */
export const PERSONAS: Record<string, string> = {
  'demo-vp': 'strong-fit VP, asked for a demo',
  competitor: 'competitor',
  student: 'student',
  'poor-fit': 'poor fit, engaged',
  newsletter: 'newsletter sign-up',
  opener: 'opens e-mails',
  whitepaper: 'white paper reader',
  pricing: 'pricing page, webinar',
  quiet: 'no activity',
  bant: 'BANT confirmed by sales',
  call: 'clicked an e-mail',
  signup: 'product sign-up',
  webinar: 'webinar attendee',
  'demo-contact': 'asked for a demo',
};

export interface Row {
  crm: 'hubspot' | 'salesforce';
  /** The portal or org id. */
  account: string;
  /** Unique across accounts: "<account>:<record id>". */
  id: string;
  persona: string;
  name: string;
  score: number | null;
  grade: string;
  stage: string;
  status: string;
  owner: string;
  tasks: string;
}

/** Owner id → a person's name (the seeded HubSpot owners and Salesforce Users). */
export function ownerNames(seed: Seed): Map<string, string> {
  const names = new Map<string, string>();
  for (const o of seed.hubspot.owners) if (o.firstName) names.set(o.id, `${o.firstName} ${o.lastName ?? ''}`.trim());
  for (const u of seed.salesforce.users) if (u.Name) names.set(u.Id, u.Name);
  return names;
}

/** A CRM lead-status value with the leadstage name it stands for ("OPEN (nurture)"). */
function statusLabel(value: string, values: Record<string, string>): string {
  const name = Object.entries(values).find(([, v]) => v === value)?.[0];
  return name && name !== value ? `${value} (${name})` : value;
}

/** The rows the demo prints: every seeded record as the sandbox CRM shows it now, in each HubSpot portal. */
export function crmRows(
  sandbox: SandboxCrm,
  seed: Seed,
  config: LeadstageConfig,
  portals: readonly string[] = [sandbox.hubspot.portalId],
): Row[] {
  const names = ownerNames(seed);
  const tz = config.businessHours.timezone;
  const due = (iso: string | undefined) => (iso ? DateTime.fromISO(iso, { zone: tz }).toFormat('ccc HH:mm') : '');
  const owner = (id: unknown) => (id ? (names.get(String(id)) ?? String(id)) : '');
  const hsValues = mappingFor(config, { crm: 'hubspot', objectType: 'contact' })?.leadStatusValues ?? {};
  const rows: Row[] = [];
  for (const portal of portals)
    for (const c of seed.hubspot.contacts) {
      const face = sandbox.hubspotPortals.get(portal)!;
      const pr = face.contacts.get(c.id)?.properties ?? {};
      const tasks = face.tasks.filter(
        (t) => t.contactIds.includes(c.id) && t.properties['hs_task_status'] !== 'COMPLETED',
      );
      rows.push({
        crm: 'hubspot',
        account: portal,
        id: `${portal}:${c.id}`,
        persona: PERSONAS[c.role] ?? c.role,
        name: `${pr['firstname']} ${pr['lastname']}`,
        score: pr['leadstage_score'] ? Number(pr['leadstage_score']) : null,
        grade: String(pr['leadstage_fit_grade'] ?? '-'),
        stage: String(pr['lifecyclestage'] ?? ''),
        status: pr['hs_lead_status'] ? statusLabel(pr['hs_lead_status'], hsValues) : '',
        owner: owner(pr['hubspot_owner_id']),
        tasks: tasks
          .map(
            (t) =>
              `${t.properties['hs_task_priority']} ${due(t.properties['hs_timestamp'])} ${owner(t.properties['hubspot_owner_id'])}`,
          )
          .join('; '),
      });
    }
  for (const { type, role, record } of seed.salesforce.records) {
    const r = sandbox.salesforce.records[type].get(record.Id) ?? record;
    const values =
      mappingFor(config, { crm: 'salesforce', objectType: type === 'Lead' ? 'lead' : 'contact' })?.leadStatusValues ??
      {};
    const tasks = [...sandbox.salesforce.records.Task.values()].filter(
      (t) => t['WhoId'] === r.Id && t['IsClosed'] !== true,
    );
    rows.push({
      crm: 'salesforce',
      account: sandbox.salesforce.orgId.slice(0, 15),
      id: `salesforce:${r.Id}`,
      persona: PERSONAS[role] ?? role,
      name: `${type} ${r['FirstName']} ${r['LastName']}`,
      score: r['Lead_Score__c'] != null ? Number(r['Lead_Score__c']) : null,
      grade: String(r['Fit_Grade__c'] ?? '-'),
      stage: String(r['Lifecycle_Stage__c'] ?? ''),
      status: r['Status'] ? statusLabel(String(r['Status']), values) : '',
      owner: owner(r['OwnerId']),
      tasks: tasks
        .map((t) => `${t['Priority']} ${due(String(t['ReminderDateTime']))} ${owner(t['OwnerId'])}`)
        .join('; '),
    });
  }
  return rows;
}

/** Columns padded to their widest cell. */
export function table(rows: string[][]): string[] {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map(
    (r) =>
      '  ' +
      r
        .map((cell, c) => cell.padEnd(w[c]!))
        .join('  ')
        .trimEnd(),
  );
}

export function rowTable(rows: readonly Row[], dueZone: string): string[] {
  return table([
    ['persona', 'contact', 'score', 'grade', 'stage', 'lead status', 'owner', `open tasks (due, ${dueZone})`],
    ...rows.map((r) => [
      r.persona,
      r.name,
      r.score === null ? '-' : String(r.score),
      r.grade,
      r.stage,
      r.status,
      r.owner,
      r.tasks,
    ]),
  ]);
}

/**
 * The CRM calls the stream cost against its floor: per account, one read call per batch of contacts
 * scored, one write call per batch of contacts written, one task call per batch of tasks, and one
 * owner list (HubSpot batches hold 100; a Salesforce query 200 ids per object type, a write 200).
 */
export function callFloor(rows: readonly Row[]): number {
  const pages = (n: number, size: number) => Math.ceil(n / size);
  let floor = 0;
  for (const account of new Set(rows.map((r) => r.account))) {
    const mine = rows.filter((r) => r.account === account && r.score !== null);
    if (mine.length === 0) continue;
    const tasks = mine.filter((r) => r.tasks).length;
    if (mine[0]!.crm === 'hubspot') floor += 2 * pages(mine.length, 100) + pages(tasks, 100) + 1;
    else {
      const leads = mine.filter((r) => r.name.startsWith('Lead ')).length;
      const contacts = mine.length - leads;
      floor += 2 * (pages(leads, 200) + pages(contacts, 200)) + pages(tasks, 200) + 1;
    }
  }
  return floor;
}

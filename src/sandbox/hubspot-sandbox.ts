import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small HubSpot-compatible CRM over real HTTP: the CRM v3 endpoints leadstage calls (contacts
 * batch read/update, tasks create/batch create/search, owners), in memory, with HubSpot's
 * response shapes, its 100-input limit and its forward-only lifecyclestage. It counts calls per
 * endpoint. Point the SDK at it with `basePath`. (The full sandbox with webhooks, Salesforce and
 * fault injection is the sandbox issue's work.)
 */
export interface SandboxContact {
  id: string;
  properties: Record<string, string | null>;
}

export interface SandboxTask {
  id: string;
  properties: Record<string, string>;
  contactIds: string[];
}

const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];

export class HubSpotSandbox {
  readonly contacts = new Map<string, SandboxContact>();
  readonly tasks: SandboxTask[] = [];
  readonly owners: { id: string; archived: boolean }[] = [];
  readonly calls = new Map<string, number>();
  /** Delay before answering (to catch a worker mid-call), per path prefix. */
  readonly delays = new Map<string, number>();
  private server: Server | undefined;
  private nextId = 5_000;

  get totalCalls(): number {
    return [...this.calls.values()].reduce((a, b) => a + b, 0);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const route = `${req.method} ${url.pathname.replace(/\/$/, '')}`;
    this.calls.set(route, (this.calls.get(route) ?? 0) + 1);
    const delay = [...this.delays.entries()].find(([p]) => route.includes(p))?.[1];
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const send = (status: number, json: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify(json));
    };
    const tooMany = (n: number) => n > 100 && (send(400, { status: 'error', message: 'Batch input limit is 100', category: 'VALIDATION_ERROR' }), true);
    const now = new Date().toISOString();
    const asRecord = (c: SandboxContact, props?: string[]) => ({
      id: c.id, createdAt: now, updatedAt: now, archived: false,
      properties: props ? Object.fromEntries(props.map((p) => [p, c.properties[p] ?? null])) : c.properties,
    });

    switch (route) {
      case 'POST /crm/v3/objects/contacts/batch/read': {
        if (tooMany(body.inputs.length)) return;
        // idProperty "email" reads by the unique e-mail property instead of the record id.
        const lookup = (key: string) =>
          body.idProperty === 'email' ? [...this.contacts.values()].find((c) => (c.properties['email'] ?? '').toLowerCase() === key.toLowerCase()) : this.contacts.get(key);
        const found = body.inputs.map((i: { id: string }) => lookup(i.id)).filter(Boolean) as SandboxContact[];
        const missing = body.inputs.map((i: { id: string }) => i.id).filter((id: string) => !lookup(id));
        return send(missing.length ? 207 : 200, {
          status: 'COMPLETE', startedAt: now, completedAt: now, results: found.map((c) => asRecord(c, body.properties)),
          ...(missing.length ? { numErrors: 1, errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not get some CONTACT objects, they may be deleted or not exist.', context: { ids: missing } }] } : {}),
        });
      }
      case 'POST /crm/v3/objects/contacts/batch/update': {
        if (tooMany(body.inputs.length)) return;
        const results = [];
        for (const input of body.inputs as { id: string; properties: Record<string, string> }[]) {
          const c = this.contacts.get(input.id);
          if (!c) continue;
          for (const [k, v] of Object.entries(input.properties)) {
            // HubSpot ignores a backward lifecyclestage; clearing it ("") is how one goes back.
            if (k === 'lifecyclestage' && v !== '' && c.properties[k] && STAGES.indexOf(v) < STAGES.indexOf(c.properties[k]!)) continue;
            c.properties[k] = v;
          }
          results.push(asRecord(c));
        }
        return send(200, { status: 'COMPLETE', startedAt: now, completedAt: now, results });
      }
      case 'POST /crm/v3/objects/tasks':
      case 'POST /crm/v3/objects/tasks/batch/create': {
        const inputs = route.endsWith('create') ? body.inputs : [body];
        if (tooMany(inputs.length)) return;
        const created = inputs.map((i: { properties: Record<string, string>; associations: { to: { id: string } }[] }) => {
          const task = { id: String(this.nextId++), properties: i.properties, contactIds: i.associations.map((a) => a.to.id) };
          this.tasks.push(task);
          return { id: task.id, properties: task.properties, createdAt: now, updatedAt: now, archived: false };
        });
        return route.endsWith('create') ? send(201, { status: 'COMPLETE', startedAt: now, completedAt: now, results: created }) : send(201, created[0]);
      }
      case 'POST /crm/v3/objects/tasks/search': {
        const contactId = body.filterGroups?.[0]?.filters?.find((f: { propertyName: string }) => f.propertyName === 'associations.contact')?.value;
        const results = this.tasks.filter((t) => t.contactIds.includes(contactId)).map((t) => ({ id: t.id, properties: { hs_task_body: t.properties['hs_task_body'] } }));
        return send(200, { total: results.length, results });
      }
      case 'GET /crm/v3/owners': {
        const archived = url.searchParams.get('archived') === 'true';
        return send(200, { results: this.owners.filter((o) => o.archived === archived).map((o) => ({ id: o.id, archived: o.archived })) });
      }
      default:
        return send(404, { status: 'error', message: `sandbox: no route ${route}`, category: 'OBJECT_NOT_FOUND' });
    }
  }
}

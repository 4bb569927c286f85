import type { SfRecord, SfReply } from './salesforce-face.ts';

/** The org's tables the queries read. */
type Tables = Record<'Lead' | 'Contact' | 'Task' | 'User' | 'Account', Map<string, SfRecord>>;

const err = (status: number, errorCode: string, message: string): SfReply => ({
  status,
  body: [{ message, errorCode }],
});

// The SOQL the adapters issue, answered as the REST query resource does
// (developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm).

/**
 * The reconciliation sweep's query: records by SystemModstamp (or LastModifiedDate, which a
 * person's edit sets), keyset-paged on (SystemModstamp, Id), oldest first.
 */
function modifiedQuery(soql: string, records: Tables): SfReply | null {
  const m =
    /^SELECT (.+?) FROM (Lead|Contact) WHERE (?:SystemModstamp >= (\S+)|\(SystemModstamp > (\S+) OR \(SystemModstamp = \S+ AND Id > '(\w+)'\)\))( AND IsConverted = false)? ORDER BY SystemModstamp ASC, Id ASC LIMIT (\d+)$/.exec(
      soql.trim(),
    );
  if (!m) return null;
  const [, fieldList, type, from, after, afterId, openOnly, limit] = m;
  const stamp = (r: SfRecord) =>
    (Date.parse(String(r['SystemModstamp'] ?? r['LastModifiedDate'] ?? '1970-01-01T00:00:00Z')) / 1000) | 0;
  const t = (Date.parse((from ?? after)!) / 1000) | 0;
  const rows = [...records[type as 'Lead' | 'Contact'].values()]
    .filter(
      (r) =>
        (!openOnly || r['IsConverted'] !== true) &&
        (from ? stamp(r) >= t : stamp(r) > t || (stamp(r) === t && r.Id > afterId!)),
    )
    .sort((a, b) => stamp(a) - stamp(b) || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0))
    .slice(0, Number(limit))
    .map((r) => ({ ...r, SystemModstamp: new Date(stamp(r) * 1000).toISOString().replace('Z', '+0000') }));
  return reply(records, type!, rows, fieldList!);
}

/**
 * The full listing (a rescore): keyset-paged by Id, `[WHERE [IsConverted = false] [AND] [Id > '…']]
 * ORDER BY Id ASC LIMIT n`, and `SELECT COUNT()` of the same sets.
 */
function listQuery(soql: string, records: Tables, batchSize: number): SfReply | null {
  const count = /^SELECT COUNT\(\) FROM (Lead|Contact)( WHERE IsConverted = false)?$/.exec(soql.trim());
  const open = (type: 'Lead' | 'Contact', openOnly: boolean) =>
    [...records[type].values()].filter((r) => !openOnly || r['IsConverted'] !== true);
  if (count)
    return {
      status: 200,
      body: { totalSize: open(count[1] as 'Lead' | 'Contact', Boolean(count[2])).length, done: true, records: [] },
    };
  const m =
    /^SELECT (.+?) FROM (Lead|Contact)(?: WHERE (IsConverted = false)?(?: AND )?(?:Id > '(\w+)')?)? ORDER BY Id ASC LIMIT (\d+)$/.exec(
      soql.trim(),
    );
  if (!m) return null;
  const [, fieldList, type, openOnly, afterId, limit] = m;
  const rows = open(type as 'Lead' | 'Contact', Boolean(openOnly))
    .filter((r) => !afterId || r.Id > afterId)
    .sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0))
    .slice(0, Number(limit));
  const first = reply(records, type!, rows.slice(0, batchSize), fieldList!);
  if (rows.length <= batchSize) return first;
  const body = first.body as { records: unknown[] };
  return {
    status: 200,
    body: {
      totalSize: rows.length,
      done: false,
      nextRecordsUrl: `/services/data/v61.0/query/01gSANDBOX-${batchSize}`,
      records: body.records,
    },
  };
}

/** The SOQL shapes leadstage issues: SELECT … FROM T WHERE F IN (…)/= '…' [AND IsConverted = false] [ORDER/LIMIT]. */
export function runSoql(soql: string, records: Tables, batchSize: number): SfReply {
  const modified = modifiedQuery(soql, records) ?? listQuery(soql, records, batchSize);
  if (modified) return modified;
  const m =
    /^SELECT (.+?) FROM (\w+) WHERE (\w+) (IN \((.*?)\)|= '((?:[^'\\]|\\.)*)')( AND IsConverted = false)?(?: AND CreatedDate >= (\S+))?(?: ORDER BY \w+ (?:ASC|DESC))?(?: LIMIT (\d+))?$/i.exec(
      soql.trim(),
    );
  if (!m) return err(400, 'MALFORMED_QUERY', `sandbox cannot run this query: ${soql.slice(0, 200)}`);
  const [, fieldList, type, field, , inList, eq, openOnly, createdSince, limit] = m;
  const table = records[type as keyof Tables];
  if (!table) return err(400, 'INVALID_TYPE', `sObject type '${type}' is not supported.`);
  const values =
    inList !== undefined
      ? [...inList.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((v) => v[1]!.replace(/\\(.)/g, '$1'))
      : [eq!.replace(/\\(.)/g, '$1')];
  const wanted = new Set(values.map((v) => (field === 'Email' ? v.toLowerCase() : v)));
  let rows = [...table.values()].filter((r) => {
    const v = r[field!];
    const key = field === 'Email' ? String(v ?? '').toLowerCase() : String(v ?? '');
    const recent = !createdSince || Date.parse(String(r['CreatedDate'] ?? '')) >= Date.parse(createdSince);
    return wanted.has(key) && (!openOnly || r['IsConverted'] !== true) && recent;
  });
  if (limit) rows = rows.slice(0, Number(limit));
  return reply(records, type!, rows, fieldList!);
}

/** A query result: the selected fields of each row, Account.* through the AccountId relationship. */
function reply(tables: Tables, type: string, rows: SfRecord[], fieldList: string): SfReply {
  const fields = fieldList.split(',').map((f) => f.trim());
  const records = rows.map((r) => {
    const out: Record<string, unknown> = {
      attributes: { type, url: `/services/data/v61.0/sobjects/${type}/${r.Id}` },
    };
    for (const f of fields) {
      if (f.includes('.')) {
        const [rel, sub] = f.split('.') as [string, string];
        const account = rel === 'Account' && r['AccountId'] ? tables.Account.get(String(r['AccountId'])) : undefined;
        out[rel] = account ? { attributes: { type: 'Account' }, [sub]: account[sub] ?? null } : null;
      } else {
        out[f] = r[f] ?? null;
      }
    }
    return out;
  });
  return { status: 200, body: { totalSize: records.length, done: true, records } };
}

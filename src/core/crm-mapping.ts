import type { CrmObjectMapping, LeadstageConfig } from './model.ts';

function isMapping(entry: object): entry is CrmObjectMapping {
  return 'fields' in entry && 'write' in entry;
}

/** One configured mapping with where it sits in the config file (for error messages). */
export interface ObjectMappingEntry {
  crm: string;
  /** null: one mapping serves every object type of this CRM. */
  objectType: string | null;
  mapping: CrmObjectMapping;
  path: string[];
}

/** Every mapping of the config, CRM by CRM. */
export function objectMappings(config: Pick<LeadstageConfig, 'crm'>): ObjectMappingEntry[] {
  const out: ObjectMappingEntry[] = [];
  for (const [crm, entry] of Object.entries(config.crm)) {
    if (isMapping(entry)) out.push({ crm, objectType: null, mapping: entry, path: ['crm', crm] });
    else {
      for (const [objectType, mapping] of Object.entries(entry)) {
        out.push({ crm, objectType, mapping, path: ['crm', crm, objectType] });
      }
    }
  }
  return out;
}

/** The config's mapping for a CRM's object type, if the config has one. */
export function mappingFor(
  config: Pick<LeadstageConfig, 'crm'>,
  contact: { crm: string; objectType: string },
): CrmObjectMapping | undefined {
  const entry = config.crm[contact.crm];
  if (!entry) return undefined;
  return isMapping(entry) ? entry : entry[contact.objectType];
}

/** The owner's id in this CRM, if the config gives one. */
export function crmOwnerId(owner: { ids: Record<string, string> }, crm: string): string | undefined {
  return owner.ids[crm];
}

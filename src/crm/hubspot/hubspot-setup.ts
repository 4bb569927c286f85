import type { Client } from '@hubspot/api-client';
import type {
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import { mappingFor } from '../../core/crm-mapping.ts';
import { checkHubSpotVocabulary } from './hubspot-vocabulary.ts';
import type { LeadstageConfig } from '../../core/model.ts';

export const PROPERTY_GROUP = 'leadstage';

interface PropertySpec {
  name: string;
  label: string;
  type: 'number' | 'string' | 'datetime';
  fieldType: 'number' | 'text' | 'textarea' | 'date';
  description: string;
}

/** The contact properties leadstage writes (and the leadstage_* ones it reads), from the config. */
export function hubspotPropertySpecs(config: LeadstageConfig): PropertySpec[] {
  const m = mappingFor(config, { crm: 'hubspot', objectType: 'contact' });
  if (!m) return [];
  const specs: PropertySpec[] = [];
  const add = (name: string | undefined, spec: Omit<PropertySpec, 'name'>) => {
    if (name && !specs.some((s) => s.name === name)) specs.push({ name, ...spec });
  };
  add(m.write.score, {
    label: 'Lead score',
    type: 'number',
    fieldType: 'number',
    description: 'leadstage: fit + engagement score',
  });
  add(m.write.fitGrade, {
    label: 'Fit grade',
    type: 'string',
    fieldType: 'text',
    description: 'leadstage: ideal-customer-profile grade',
  });
  add(m.write.reasons, {
    label: 'Score reasons',
    type: 'string',
    fieldType: 'textarea',
    description: 'leadstage: the rules behind the score',
  });
  add(m.write.scoredAt, {
    label: 'Last scored at',
    type: 'datetime',
    fieldType: 'date',
    description: 'leadstage: when the score was last written',
  });
  // Read-side custom fields the config maps under leadstage's own prefix (BANT inputs for sales).
  for (const [canonical, prop] of Object.entries(m.fields)) {
    if (prop.startsWith('leadstage_'))
      add(prop, {
        label: canonical.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase()),
        type: 'string',
        fieldType: 'text',
        description: `leadstage: ${canonical}`,
      });
  }
  return specs;
}

/**
 * Create leadstage's property group and properties on contacts where missing. Safe to run any
 * number of times: it reads what exists first and only creates the rest. Returns what it did.
 */
export async function setupHubSpot(client: Client, config: LeadstageConfig): Promise<string[]> {
  const done: string[] = [];
  const groups = await client.crm.properties.groupsApi.getAll('contacts');
  if (!groups.results.some((g) => g.name === PROPERTY_GROUP)) {
    await client.crm.properties.groupsApi.create('contacts', {
      name: PROPERTY_GROUP,
      label: 'leadstage',
      displayOrder: -1,
    });
    done.push(`created property group ${PROPERTY_GROUP}`);
  } else {
    done.push(`property group ${PROPERTY_GROUP} exists`);
  }
  const existing = new Set((await client.crm.properties.coreApi.getAll('contacts', false)).results.map((p) => p.name));
  for (const spec of hubspotPropertySpecs(config)) {
    if (existing.has(spec.name)) {
      done.push(`property ${spec.name} exists`);
      continue;
    }
    await client.crm.properties.coreApi.create('contacts', {
      name: spec.name,
      label: spec.label,
      description: spec.description,
      groupName: PROPERTY_GROUP,
      type: spec.type as PropertyCreateTypeEnum,
      fieldType: spec.fieldType as PropertyCreateFieldTypeEnum,
    });
    done.push(`created property ${spec.name} (${spec.type})`);
  }
  return done;
}

/**
 * The vocabulary check of `setup`: the stage and lead-status values the config writes exist in
 * the portal's own options (custom lifecycle stages have internal values of their own).
 */
export async function checkHubSpotSetup(client: Client, config: LeadstageConfig): Promise<string[]> {
  return checkHubSpotVocabulary(config, async (name) => {
    try {
      const p = await client.crm.properties.coreApi.getByName('contacts', name);
      return (p.options ?? []).map((o) => ({ value: o.value, label: o.label }));
    } catch (err) {
      if ((err as { code?: number }).code === 404) return null;
      throw err;
    }
  });
}

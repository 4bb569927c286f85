import { mappingFor } from '../../core/crm-mapping.ts';
import type { LeadstageConfig } from '../../core/model.ts';

/** One option of a HubSpot enumeration property (GET /crm/v3/properties/contacts/{name}). */
export interface PropertyOption {
  value: string;
  label?: string;
}

/**
 * Check every value the config makes leadstage write into HubSpot's enumeration properties
 * against the portal's own options: the lifecycle stages leadstage places contacts in (portals
 * add custom stages with internal values such as "1234567") and the lead statuses it sets. Each
 * problem names the config path, the value, and the values the portal has.
 */
export async function checkHubSpotVocabulary(
  config: LeadstageConfig,
  optionsOf: (property: string) => Promise<PropertyOption[] | null>,
): Promise<string[]> {
  const m = mappingFor(config, { crm: 'hubspot', objectType: 'contact' });
  if (!m) return [];
  const problems: string[] = [];
  const check = async (property: string | undefined, wanted: [path: string, value: string][]) => {
    if (!property || wanted.length === 0) return;
    const options = await optionsOf(property);
    if (options === null) {
      problems.push(`crm.hubspot.write: the portal has no contact property "${property}"`);
      return;
    }
    if (options.length === 0) return; // not an enumeration: any text goes
    const have = new Set(options.map((o) => o.value));
    const list = options.map((o) => o.value).join(', ');
    for (const [path, value] of wanted) {
      if (!have.has(value))
        problems.push(`${path}: "${value}" is not a value of ${property} in this portal (it has: ${list})`);
    }
  };
  const placed = Object.keys(config.lifecycle.criteria);
  await check(
    m.write.stage,
    placed.map((s) => [
      m.stageValues[s] ? `crm.hubspot.stageValues.${s}` : `crm.hubspot.stageValues (stage ${s})`,
      m.stageValues[s] ?? s,
    ]),
  );
  const s = config.lifecycle.leadStatus;
  const statuses = [...new Set([s.onHandoff, s.nurture, s.disqualified])];
  await check(
    m.write.leadStatus,
    statuses.map((st) => [`crm.hubspot.leadStatusValues.${st}`, m.leadStatusValues[st] ?? st]),
  );
  return problems;
}

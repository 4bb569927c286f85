import { BUILT_IN_ACTIVITY_TYPES } from '../core/activity-types.ts';
import { mappingFor } from '../core/crm-mapping.ts';
import { DERIVED_FIELDS } from '../core/field-values.ts';
import type { LeadstageConfig } from '../core/model.ts';
import type { ContactInput } from './contact-input.ts';

/**
 * What the schema cannot know: activity types and field names must be ones the config knows, or
 * a typo would silently score 0. Each problem names its path in the file.
 */
export function contactProblems(input: ContactInput, config: LeadstageConfig): string[] {
  const problems: string[] = [];
  const types = new Set<string>([...BUILT_IN_ACTIVITY_TYPES, ...config.engagement.customActivityTypes]);
  input.activities.forEach((a, i) => {
    if (!types.has(a.type))
      problems.push(
        `activities[${i}].type: unknown activity type "${a.type}" (built-in types, or engagement.customActivityTypes)`,
      );
  });
  const mapping = mappingFor(config, input.contact);
  if (!mapping) {
    problems.push(`crm: the config has no mapping for ${input.contact.crm} ${input.contact.objectType} records`);
    return problems;
  }
  const fields = new Set<string>([...Object.keys(mapping.fields), ...DERIVED_FIELDS]);
  for (const name of Object.keys(input.contact.fields)) {
    if (!fields.has(name))
      problems.push(`fields.${name}: unknown field (the config maps: ${[...fields].sort().join(', ')})`);
  }
  return problems;
}

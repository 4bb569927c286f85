/** Variables a task subject or body may use; the config loader rejects any other. */
export const TEMPLATE_VARIABLES = [
  'firstName',
  'lastName',
  'company',
  'jobTitle',
  'score',
  'grade',
  'stage',
  'topReasons',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

export function templateVariables(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** Fill `{{name}}` placeholders; a missing value leaves no double space behind. */
export function renderTemplate(template: string, vars: Partial<Record<TemplateVariable, string>>): string {
  return template
    .replace(PLACEHOLDER, (_, name: string) => vars[name as TemplateVariable] ?? '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/\s+([,.;:)])/g, '$1')
    .trim();
}

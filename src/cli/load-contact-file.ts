import { formatPath } from '../config/config-error.ts';
import { contactInputSchema, toContactInput, type ContactInput } from './contact-input.ts';

export type ContactFileResult = { ok: true; input: ContactInput } | { ok: false; errors: string[] };

/** Parse and validate one contact JSON document (the README's "Contact JSON"). */
export function parseContactFile(file: string, text: string): ContactFileResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`${file}: cannot read contact JSON: ${(err as Error).message}`] };
  }
  const parsed = contactInputSchema.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${file} ${formatPath(i.path) || '(root)'}: ${i.message}`),
    };
  }
  return { ok: true, input: toContactInput(parsed.data) };
}

import type { ContactSnapshot, FieldValue } from './types.ts';

/** Fields the core derives when the CRM does not carry them. */
export const DERIVED_FIELDS = ['emailDomain'] as const;

export function isPresent(v: FieldValue | undefined): v is string | number | boolean {
  return v !== null && v !== undefined && !(typeof v === 'string' && v.trim() === '');
}

/** A contact field by canonical name, with derived ones filled in. */
export function readField(contact: ContactSnapshot, name: string): FieldValue | undefined {
  const direct = contact.fields[name];
  if (isPresent(direct)) return direct;
  if (name === 'emailDomain') {
    const email = contact.fields['email'];
    if (typeof email === 'string' && email.includes('@'))
      return email
        .slice(email.lastIndexOf('@') + 1)
        .trim()
        .toLowerCase();
  }
  return direct;
}

export function toNumber(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Epoch ms from a number (ms), a digit string (ms, as HubSpot sends dates) or an ISO date. */
export function toTime(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Equality the way an admin means it: "10" equals 10, "SaaS" equals "saas", "true" equals true. */
export function looseEquals(a: FieldValue | undefined, b: string | number | boolean): boolean {
  if (!isPresent(a)) return false;
  if (typeof b === 'number' || typeof a === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x !== undefined && y !== undefined) return x === y;
  }
  return String(a).trim().toLowerCase() === String(b).trim().toLowerCase();
}

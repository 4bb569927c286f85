import { timingSafeEqual } from 'node:crypto';

/**
 * Does the request's `Authorization: Bearer …` header carry `token`? Constant-time on equal
 * lengths. With no token configured the route is open (bind it to a private address instead).
 */
export function bearerAllows(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(/^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

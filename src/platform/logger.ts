import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. Log lines carry ids, counts and reasons only: no names, e-mails or
 * payloads. The redact list is a second line of defence for fields that must never appear.
 */
export function createLogger(level: string, name = 'leadstage'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['email', '*.email', 'authorization', '*.authorization', 'secret', '*.secret', 'token', '*.token'],
      censor: '[redacted]',
    },
  });
}

export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`gave up after ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Rejects after `ms`: a hung Redis becomes a prompt 503, a hung CRM call a retryable failure. The
 * work itself is not cancelled (neither SDK takes a signal); its late result is ignored.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new DeadlineExceeded(ms)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

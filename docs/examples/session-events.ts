/**
 * Forwarding coatcheck's session events to a logger and to metrics: the example of
 * docs/events.md, run by test/reliability/events-example.test.ts.
 */
import type { SessionEventName, SessionEvents, SessionEventTarget } from 'coatcheck';

/** What the example needs of a logger: pino's and bunyan's `(fields, message)` shape. */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What the example needs of a metrics client (StatsD, Prometheus counters, …). */
export interface Metrics {
  increment(name: string, tags?: Record<string, string>): void;
}

export interface ForwardOptions {
  /** Invalid session cookies within `window` that count as a burst (someone probing IDs). Default 50. */
  burst?: number;
  /** The burst window in milliseconds. Default 10 000. */
  window?: number;
}

/**
 * Logs every session event with the session's handle (a keyed hash: safe to log, never the ID),
 * counts them, and raises an error-level line when invalid cookies come in a burst.
 * Returns a function that detaches the listeners.
 */
export function forwardSessionEvents(
  sessions: SessionEventTarget,
  logger: Logger,
  metrics: Metrics,
  { burst = 50, window = 10_000 }: ForwardOptions = {},
): () => void {
  // Times of recent invalid cookies (forged, malformed, or signed but unknown to the store).
  let invalid: number[] = [];
  const probe = (kind: string) => {
    const now = Date.now();
    invalid = invalid.filter((time) => now - time < window);
    invalid.push(now);
    if (invalid.length === burst) {
      logger.error(
        { event: 'session.probing', count: burst, windowMs: window, last: kind },
        'burst of invalid session cookies',
      );
      metrics.increment('session.probing');
    }
  };

  const detach: Array<() => void> = [];
  const on = <E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void) => {
    sessions.on(event, listener);
    detach.push(() => sessions.off(event, listener));
  };

  on('created', ({ handle }) => {
    logger.info({ event: 'session.created', session: handle }, 'session created');
    metrics.increment('session.created');
  });
  on('rotated', ({ handle, previous, user }) => {
    logger.info({ event: 'session.rotated', session: handle, previous, user }, 'session rotated');
    metrics.increment('session.rotated');
  });
  on('destroyed', ({ handle, reason, user }) => {
    logger.info({ event: 'session.destroyed', session: handle, reason, user }, 'session destroyed');
    metrics.increment('session.destroyed', { reason });
  });
  // #region listeners
  on('expired', ({ handle, reason, user }) => {
    logger.info({ event: 'session.expired', session: handle, reason, user }, 'session expired');
    metrics.increment('session.expired', { reason });
  });
  on('revoked', ({ handles, user }) => {
    logger.info({ event: 'session.revoked', sessions: handles, user }, 'sessions revoked');
    metrics.increment('session.revoked');
  });
  on('tampered', ({ reason }) => {
    logger.warn({ event: 'session.tampered', reason }, 'invalid session cookie');
    metrics.increment('session.tampered', { reason });
    probe(reason); // counts invalid cookies in a sliding window; one error line per burst
  });
  on('unknown', ({ handle }) => {
    logger.info({ event: 'session.unknown', session: handle }, 'unknown session ID');
    metrics.increment('session.unknown');
    probe('unknown');
  });
  on('storeError', ({ error }) => {
    // The message names the store and the operation; the driver's own error stays in `cause`.
    logger.error(
      { event: 'session.store_error', code: error.code, store: error.store, operation: error.operation },
      error.message,
    );
    metrics.increment('session.store_error', { code: error.code, store: error.store });
  });
  // #endregion listeners

  return () => {
    for (const off of detach) off();
  };
}

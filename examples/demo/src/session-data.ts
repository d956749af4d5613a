// The keys this demo keeps in req.session, declared once so every route is typed.

/** A one-time message shown on the next page. */
export interface Flash {
  kind: 'success' | 'error' | 'info';
  text: string;
}

/** The browser a session was started in, recorded at login for the devices page. */
export interface DeviceNote {
  userAgent: string;
  ip: string;
}

declare module 'coatcheck' {
  interface SessionData {
    /** The signed-in user; also the session middleware's `userKey`, which indexes sessions by user. */
    userId: string;
    /** Product ID → quantity. */
    cart: Record<string, number>;
    flash: Flash[];
    device: DeviceNote;
    /** The CSRF synchronizer token's secret, created by csrf() on first use. */
    csrfSecret: string;
  }
}

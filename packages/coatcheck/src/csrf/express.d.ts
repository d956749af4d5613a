// Type of what csrf({ token }) adds to Express's request, declared as @types/csurf does.

declare global {
  namespace Express {
    interface Request {
      /** Set by csrf({ token }): a fresh masked token for the current session. */
      csrfToken(): string;
    }
  }
}

export {};

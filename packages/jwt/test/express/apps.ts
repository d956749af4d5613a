import { createRequire } from 'node:module';
import express5, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { type Listening, listen } from '../helpers.js';

const require = createRequire(import.meta.url);
// express@4 is installed as `express4` without types; its app API is the subset used here.
const express4 = require('express4') as typeof express5;
export const cookieParser = require('cookie-parser') as () => RequestHandler;

export const versions: ReadonlyArray<[string, () => Express]> = [
  ['Express 5', () => express5()],
  ['Express 4', () => express4()],
];

/** Answers errors as JSON with the fields express-jwt users look at. */
export const errorHandler: ErrorRequestHandler = (error, _req, res, _next) => {
  const inner = error.inner as (Error & { expiredAt?: Date }) | undefined;
  res.status(typeof error.status === 'number' ? error.status : 500).json({
    name: error.name,
    code: error.code,
    status: error.status,
    message: error.message,
    inner: inner?.name,
    expiredAt: inner?.expiredAt instanceof Date ? inner.expiredAt.toISOString() : undefined,
    cause: error.cause instanceof Error ? { name: error.cause.name } : undefined,
    joseCode: joseCodeOf(error),
  });
};

/** The `code` of the first jose error in a cause chain (jose codes start with `ERR_J`). */
function joseCodeOf(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_J')) return code;
  }
  return undefined;
}

/** Starts `app` (with the JSON error handler appended) on 127.0.0.1. */
export function serve(app: Express): Promise<Listening> {
  app.use(errorHandler);
  return listen(app);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
export type Json = any;
/** The JSON body of `response`, for field-by-field assertions. */
export const json = (response: Response): Promise<Json> => response.json() as Promise<Json>;

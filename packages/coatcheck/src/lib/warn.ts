/** What a warning is: `CoatcheckWarning` unless said otherwise, and its code. */
export interface WarningKind {
  type?: string;
  code?: string;
}

type EmitWarning = (message: string, options: WarningKind) => void;

/**
 * A process warning: `process.emitWarning` where there is a `process` (Node.js, Bun, Deno), and
 * `console.warn` on runtimes without one (workerd, edge functions), whose logs still show it.
 */
export function warn(message: string, kind: WarningKind = {}): void {
  const type = kind.type ?? 'CoatcheckWarning';
  const emit = (globalThis as { process?: { emitWarning?: EmitWarning } }).process?.emitWarning;
  if (typeof emit === 'function') {
    emit.call(
      (globalThis as { process?: object }).process,
      message,
      kind.code === undefined ? { type } : { type, code: kind.code },
    );
  } else {
    console.warn(`${type}${kind.code === undefined ? '' : ` [${kind.code}]`}: ${message}`);
  }
}

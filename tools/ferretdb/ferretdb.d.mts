/** A FerretDB this process started; see {@link startFerretDB}. */
export interface FerretDBServer {
  readonly port: number;
  /** Its temporary state folder, deleted by `stop()`. */
  readonly dir: string;
  /** `mongodb://127.0.0.1:<port>/<database>`. */
  readonly uri: string;
  /** The process ID of the running server, if one runs. */
  readonly pid: number | undefined;
  /** The server's stderr (warnings and errors; the last 20,000 characters). */
  output(): string;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Kills the server as a crash would; its data stays. */
  kill(): Promise<void>;
  /** Kills it if running, then starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Kills it and deletes its data. */
  stop(): Promise<void>;
}

export function ferretdbVersion(): string;
export function ferretdbBinary(): string;
export function buildFerretDB(options?: { log?: (line: string) => void }): string;
export function ferretdbArgs(dir: string, port: number): string[];
export function startFerretDB(options?: {
  binary?: string;
  database?: string;
  timeout?: number;
}): Promise<FerretDBServer>;
export function runWithFerretDB(command: string, args: string[]): Promise<number>;

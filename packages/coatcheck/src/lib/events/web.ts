/**
 * `#events` on runtimes with no `node:events`: the part of EventEmitter that coatcheck and the
 * session stores use (`on`, `once`, `off`, `emit`, `listenerCount`, …), with its rules: listeners
 * run synchronously in the order added, `once` listeners are removed before they run, and an
 * `'error'` event with no listener throws its error.
 *
 * @module
 */
type Listener = (...args: any[]) => void;

export class EventEmitter {
  #listeners = new Map<string | symbol, Listener[]>();

  on(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  addListener(event: string | symbol, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: string | symbol, listener: Listener): this {
    const wrapped: Listener & { listener?: Listener } = (...args) => {
      this.off(event, wrapped);
      listener.apply(this, args);
    };
    wrapped.listener = listener;
    return this.on(event, wrapped);
  }

  off(event: string | symbol, listener: Listener): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    // The last one added goes first, as with node:events.
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i] as Listener & { listener?: Listener };
      if (entry === listener || entry.listener === listener) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  removeListener(event: string | symbol, listener: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  emit(event: string | symbol, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (!list || list.length === 0) {
      if (event === 'error')
        throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      return false;
    }
    for (const listener of [...list]) listener.apply(this, args);
    return true;
  }

  listenerCount(event: string | symbol): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  listeners(event: string | symbol): Listener[] {
    return (this.#listeners.get(event) ?? []).map(
      (entry) => (entry as { listener?: Listener }).listener ?? entry,
    );
  }

  eventNames(): Array<string | symbol> {
    return [...this.#listeners.keys()];
  }

  setMaxListeners(_count: number): this {
    return this;
  }

  getMaxListeners(): number {
    return 10;
  }
}

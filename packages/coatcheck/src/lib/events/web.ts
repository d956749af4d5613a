/**
 * `#events` on runtimes with no `node:events`: the part of EventEmitter that coatcheck and the
 * session stores use (`on`, `once`, `off`, `emit`, `listenerCount`, …), with its rules: listeners
 * run synchronously in the order added, `once` listeners are removed before they run, and an
 * `'error'` event with no listener throws its error.
 *
 * @module
 */
type Listener = (...args: never[]) => void;
type Entry = Listener & { listener?: Listener };

const LISTENERS = Symbol('coatcheck.listeners');

/** EventEmitter's methods, as node:events types them for the parts kept here. */
export interface EventEmitter {
  on(event: string | symbol, listener: Listener): this;
  addListener(event: string | symbol, listener: Listener): this;
  once(event: string | symbol, listener: Listener): this;
  off(event: string | symbol, listener: Listener): this;
  removeListener(event: string | symbol, listener: Listener): this;
  removeAllListeners(event?: string | symbol): this;
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
  listeners(event: string | symbol): Listener[];
  eventNames(): Array<string | symbol>;
  setMaxListeners(count: number): this;
  getMaxListeners(): number;
}

interface EventEmitterConstructor {
  new (): EventEmitter;
  prototype: EventEmitter;
}

type Holder = EventEmitter & { [LISTENERS]?: Map<string | symbol, Entry[]> };

function listenersOf(emitter: Holder): Map<string | symbol, Entry[]> {
  // Created on first use, so `EventEmitter.call(this)` from a constructor function (stores/store.ts
  // builds Store that way, for connect-style subclasses) needs nothing from the constructor.
  let map = emitter[LISTENERS];
  if (map === undefined) {
    map = new Map();
    Object.defineProperty(emitter, LISTENERS, { value: map, enumerable: false });
  }
  return map;
}

/**
 * A constructor function, not a class, because stores/store.ts calls it as node:events allows:
 * `EventEmitter.call(this)`.
 */
export const EventEmitter = function EventEmitter(this: Holder) {
  if (this !== undefined && this !== null) listenersOf(this);
} as unknown as EventEmitterConstructor;

const methods: EventEmitter = {
  on(event, listener) {
    const map = listenersOf(this as Holder);
    const list = map.get(event);
    if (list) list.push(listener);
    else map.set(event, [listener]);
    return this;
  },
  addListener(event, listener) {
    return this.on(event, listener);
  },
  once(event, listener) {
    const wrapped: Entry = (...args) => {
      this.off(event, wrapped);
      listener.apply(this, args);
    };
    wrapped.listener = listener;
    return this.on(event, wrapped);
  },
  off(event, listener) {
    const map = listenersOf(this as Holder);
    const list = map.get(event);
    if (!list) return this;
    // The last one added goes first, as with node:events.
    for (let i = list.length - 1; i >= 0; i--) {
      const entry = list[i] as Entry;
      if (entry === listener || entry.listener === listener) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) map.delete(event);
    return this;
  },
  removeListener(event, listener) {
    return this.off(event, listener);
  },
  removeAllListeners(event) {
    const map = listenersOf(this as Holder);
    if (event === undefined) map.clear();
    else map.delete(event);
    return this;
  },
  emit(event, ...args) {
    const list = listenersOf(this as Holder).get(event);
    if (!list || list.length === 0) {
      if (event === 'error') {
        throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error: ${String(args[0])}`);
      }
      return false;
    }
    for (const listener of [...list]) listener.apply(this, args as never[]);
    return true;
  },
  listenerCount(event) {
    return listenersOf(this as Holder).get(event)?.length ?? 0;
  },
  listeners(event) {
    return (listenersOf(this as Holder).get(event) ?? []).map((entry) => entry.listener ?? entry);
  },
  eventNames() {
    return [...listenersOf(this as Holder).keys()];
  },
  setMaxListeners() {
    return this;
  },
  getMaxListeners() {
    return 10;
  },
};
Object.assign(EventEmitter.prototype, methods);

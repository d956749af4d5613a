import type { IncomingMessage, ServerResponse } from 'node:http';

type NodeHttp = typeof import('node:http');

const FIRST = Symbol('coatcheck.shape.first');
const SECOND = Symbol('coatcheck.shape.second');

/**
 * Leaves `req` and `res` in V8's dictionary mode when Express has swapped their prototypes.
 *
 * Why: `Object.setPrototypeOf` (Express does it to every request and response) gives each object a
 * hidden class of its own, so every property added afterwards (`req.session`, our `res.end` hook, the
 * router's `req.params`, …) builds yet another hidden class, and property reads miss their inline
 * caches. In dictionary mode a property is added to a hash table instead, and all such objects share
 * one hidden class. Deleting a property other than the last one is what switches an object over;
 * nothing else about the objects changes.
 */
export function settleShapes(req: IncomingMessage, res: ServerResponse): void {
  if (nodeHttp === undefined) nodeHttp = loadNodeHttp();
  const http = nodeHttp;
  if (Object.getPrototypeOf(req) !== http.IncomingMessage.prototype) toDictionaryMode(req);
  if (Object.getPrototypeOf(res) !== http.ServerResponse.prototype) toDictionaryMode(res);
}

let nodeHttp: NodeHttp | undefined;

/**
 * node:http, fetched on the first request rather than imported: this module is reached from
 * `coatcheck/fetch` too (through the session middleware), which must load on runtimes with no
 * `node:` modules; only the node:http adapter ever calls it, and there node:http exists.
 */
function loadNodeHttp(): NodeHttp {
  const host = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
  const http = host?.getBuiltinModule?.('node:http') as NodeHttp | undefined;
  if (http === undefined) throw new TypeError('coatcheck: the node:http adapter needs node:http');
  return http;
}

function toDictionaryMode(target: object): void {
  const scratch = target as Record<symbol, unknown>;
  scratch[FIRST] = undefined;
  scratch[SECOND] = undefined;
  delete scratch[FIRST];
  delete scratch[SECOND];
}

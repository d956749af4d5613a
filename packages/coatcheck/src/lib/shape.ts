import { IncomingMessage, ServerResponse } from 'node:http';

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
  if (Object.getPrototypeOf(req) !== IncomingMessage.prototype) toDictionaryMode(req);
  if (Object.getPrototypeOf(res) !== ServerResponse.prototype) toDictionaryMode(res);
}

function toDictionaryMode(target: object): void {
  const scratch = target as Record<symbol, unknown>;
  scratch[FIRST] = undefined;
  scratch[SECOND] = undefined;
  delete scratch[FIRST];
  delete scratch[SECOND];
}

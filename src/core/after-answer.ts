import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Work that can wait until the answer is out: events fanned out to webhook endpoints, an API
 * key's `last_used_at`. Inside a request it is held until the response is ready and then handed
 * to the runtime's `waitUntil` (the request scope is opened by `requestContext`), so it costs the
 * caller no round trip (src/platform/db/round-trips.ts). Anywhere else (a job, a sweep, work a
 * request left in the background) it runs at once and the caller waits for it, so a job is not
 * finished before its effects are.
 *
 * AsyncLocalStorage is on Deno and on Workers (`nodejs_compat`): it carries the scope through
 * every await of the request without threading it through every domain function.
 */
interface Scope {
  open: boolean;
  work: (() => Promise<unknown>)[];
  groups: Map<object, unknown[]>;
}

const scopes = new AsyncLocalStorage<Scope>();

/** Runs a request in a scope; `hand` gets the held work once `fn` is done (to `waitUntil` it). */
export async function inRequestScope<T>(
  fn: () => Promise<T>,
  hand: (work: Promise<unknown>) => void,
): Promise<T> {
  const scope: Scope = { open: true, work: [], groups: new Map() };
  try {
    return await scopes.run(scope, fn);
  } finally {
    scope.open = false;
    if (scope.work.length > 0) {
      const work = scope.work;
      // A macrotask later: the answer is complete and on its way before any of it starts.
      hand(
        new Promise((resolve) => setTimeout(resolve, 0)).then(() => Promise.allSettled(work.map((w) => w()))),
      );
    }
  }
}

/** `work` after the answer when in a request, now otherwise (and then the caller waits). */
export async function afterAnswer(work: () => Promise<unknown>): Promise<void> {
  const scope = scopes.getStore();
  if (scope?.open) {
    scope.work.push(work);
    return;
  }
  await work();
}

/**
 * Like `afterAnswer`, but items of the same `group` held in one request are handled together by
 * one `flush` (every event of a request fanned out in one statement).
 */
export async function afterAnswerTogether<T>(
  group: object,
  items: readonly T[],
  flush: (items: T[]) => Promise<unknown>,
): Promise<void> {
  const scope = scopes.getStore();
  if (!scope?.open) {
    await flush([...items]);
    return;
  }
  let held = scope.groups.get(group) as T[] | undefined;
  if (!held) {
    scope.groups.set(group, held = []);
    const all = held;
    scope.work.push(() => flush(all));
  }
  held.push(...items);
}

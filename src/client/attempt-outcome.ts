/**
 * Marks on the errors of failed call attempts, for the decision to retry: a
 * marker, not a subclass, because `instanceof` on ConnectError subclasses
 * matches any ConnectError.
 */

/** Errors of attempts whose request never reached a handler. */
const notSent = new WeakSet<Error>();
/** Errors of attempts the server refused unread: it closed the stream before reading the call. */
const refusedUnread = new WeakSet<Error>();
/** Errors of attempts that got no frame of a response. */
const noResponse = new WeakSet<Error>();

/** Marks `error` as the failure of an attempt whose request never reached a handler; returns it. */
export function markNeverReachedHandler<E extends Error>(error: E): E {
  notSent.add(error);
  noResponse.add(error);
  return error;
}

/** True when the attempt that failed with `error` never reached a handler: any call may run again. */
export function neverReachedHandler(error: unknown): boolean {
  return error instanceof Error && notSent.has(error);
}

/** Marks `error` as the failure of an attempt that received no frame of a response; returns it. */
export function markNoResponse<E extends Error>(error: E): E {
  noResponse.add(error);
  return error;
}

/**
 * True when the attempt that failed with `error` received nothing of a
 * response: an idempotent call may run again.
 */
export function isNoResponse(error: unknown): boolean {
  return error instanceof Error && noResponse.has(error);
}

/**
 * Marks `error` as the failure of an attempt the server refused unread (it
 * closed the stream before the call started: draining, or closing an idle
 * stream); such an attempt also never reached a handler. Returns it.
 */
export function markRefusedUnread<E extends Error>(error: E): E {
  refusedUnread.add(error);
  return markNeverReachedHandler(error);
}

/**
 * True when the server refused the attempt that failed with `error` unread:
 * it did no work, so the pool's retry budget is not charged for it.
 */
export function wasRefusedUnread(error: unknown): boolean {
  return error instanceof Error && refusedUnread.has(error);
}

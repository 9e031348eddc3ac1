/**
 * Checks a protocol id prefix (`protocolPrefix`): it starts with `/`, does
 * not end with one, and holds no whitespace, so that every method's protocol
 * id (`<prefix>/<package.Service>/<Method>/<version>`) is one multistream
 * token. Returns it; throws a `TypeError` naming `what` otherwise.
 *
 * @example
 * ```ts
 * checkProtocolPrefix("/acme-rpc", "rpcServer's protocolPrefix"); // "/acme-rpc"
 * ```
 */
export function checkProtocolPrefix(prefix: string, what: string): string {
  if (typeof prefix !== "string" || !/^\/\S*[^/\s]$/.test(prefix)) {
    throw new TypeError(
      `${what} must start with "/", not end with "/" and hold no whitespace, not ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/health/v1/health_pb.ts";

/**
 * The serving statuses of `grpc.health.v1` (`HealthCheckResponse.ServingStatus`):
 * `UNKNOWN`, `SERVING`, `NOT_SERVING`, and `SERVICE_UNKNOWN`, which only Watch sends.
 *
 * @example
 * ```ts
 * health.setStatus("acme.greeter.v1.GreeterService", ServingStatus.NOT_SERVING);
 * ```
 */
export const ServingStatus: {
  /** The status is not known (the whole server, before the application says). */
  readonly UNKNOWN: 0;
  /** The service is serving. */
  readonly SERVING: 1;
  /** The service is not serving: clients should go elsewhere. */
  readonly NOT_SERVING: 2;
  /** Sent by Watch only: the service is not known (yet). */
  readonly SERVICE_UNKNOWN: 3;
} = HealthCheckResponse_ServingStatus;
/** One of {@link ServingStatus}'s values. */
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** Options of {@link createHealthService}. */
export interface HealthServiceOptions {
  /**
   * Statuses known from the start, by service name. The empty name is the
   * server as a whole, which is `SERVING` unless set here.
   * @default { "": SERVING }
   */
  statuses?: Record<string, ServingStatus>;
}

/**
 * The standard `grpc.health.v1.Health` service, with statuses the
 * application sets. Returned by {@link createHealthService}.
 */
export interface HealthService {
  /** Registers `grpc.health.v1.Health` (Check, Watch, List) on a router. */
  readonly routes: (router: ConnectRouter) => void;
  /**
   * Sets the status of `service` (the empty name: the whole server). Watch
   * calls of that service get the new status if it changed.
   */
  setStatus(service: string, status: ServingStatus): void;
  /** Forgets `service`: Check then answers `NotFound`, Watch `SERVICE_UNKNOWN`. */
  clearStatus(service: string): void;
  /** The status of `service`, or `undefined` when it is not known. */
  getStatus(service: string): ServingStatus | undefined;
}

/**
 * Creates a `grpc.health.v1.Health` service (Check, Watch and List, as in
 * gRPC's health-checking protocol) whose statuses the application sets.
 * Check of a service never set answers `NotFound`; Watch sends the current
 * status at once (`SERVICE_UNKNOWN` for a service never set), then every
 * change, until the call ends.
 *
 * @example
 * ```ts
 * import { createHealthService, createRpcNode, rpcServer, ServingStatus } from "p2prpc";
 *
 * const health = createHealthService();
 * const node = await createRpcNode({
 *   services: {
 *     rpc: rpcServer({
 *       routes: (router) => {
 *         router.service(GreeterService, greeterImpl);
 *         health.routes(router);
 *       },
 *     }),
 *   },
 * });
 * health.setStatus("acme.greeter.v1.GreeterService", ServingStatus.SERVING);
 * ```
 */
export function createHealthService(options: HealthServiceOptions = {}): HealthService {
  const statuses = new Map<string, ServingStatus>(
    Object.entries({ "": ServingStatus.SERVING, ...options.statuses }),
  );
  const watchers = new Map<string, Set<() => void>>();
  const notify = (service: string): void => {
    for (const wake of watchers.get(service) ?? []) {
      wake();
    }
  };

  async function* watch(
    service: string,
    ctx: HandlerContext,
  ): AsyncGenerator<{ status: ServingStatus }> {
    let wake = Promise.withResolvers<void>();
    const onChange = (): void => wake.resolve();
    const onAbort = (): void => wake.resolve();
    const set = watchers.get(service) ?? new Set();
    watchers.set(service, set);
    set.add(onChange);
    ctx.signal.addEventListener("abort", onAbort);
    try {
      let sent: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const status = statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== sent) {
          sent = status;
          yield { status };
        }
        await wake.promise;
        wake = Promise.withResolvers<void>();
      }
    } finally {
      set.delete(onChange);
      if (set.size === 0) {
        watchers.delete(service);
      }
      ctx.signal.removeEventListener("abort", onAbort);
    }
  }

  return {
    routes(router) {
      router.service(Health, {
        check({ service }) {
          const status = statuses.get(service);
          if (status === undefined) {
            throw new ConnectError(`unknown service ${service}`, Code.NotFound);
          }
          return { status };
        },
        watch: ({ service }, ctx) => watch(service, ctx),
        list() {
          return {
            statuses: Object.fromEntries([...statuses].map(([name, status]) => [name, { status }])),
          };
        },
      });
    },
    setStatus(service, status) {
      if (statuses.get(service) !== status) {
        statuses.set(service, status);
        notify(service);
      }
    },
    clearStatus(service) {
      if (statuses.delete(service)) {
        notify(service);
      }
    },
    getStatus: (service) => statuses.get(service),
  };
}

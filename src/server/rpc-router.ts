import type { DescMethod, DescService } from "@bufbuild/protobuf";
import {
  type ConnectRouter,
  createConnectRouter,
  createMethodImplSpec,
  createServiceImplSpec,
  type MethodImpl,
  type MethodImplSpec,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { UniversalHandler, UniversalHandlerOptions } from "@connectrpc/connect/protocol";

/** One method a server serves: its implementation and its per-route options. */
export interface Route {
  readonly spec: MethodImplSpec;
  readonly options: Partial<UniversalHandlerOptions>;
}

/**
 * A `ConnectRouter` that records routes for p2prpc.
 *
 * It accepts the same `routes(router)` function a Connect HTTP server does.
 * Registrations are also forwarded to a plain Connect router, so `handlers`
 * holds the same HTTP handlers Connect would build and the object is a
 * faithful `ConnectRouter`.
 */
export class RpcRouter implements ConnectRouter {
  /** Every method registered, in registration order; a later registration of a method wins. */
  readonly routes = new Map<DescMethod, Route>();
  readonly #connect = createConnectRouter();

  get handlers(): UniversalHandler[] {
    return this.#connect.handlers;
  }

  service = <T extends DescService>(
    service: T,
    implementation: Partial<ServiceImpl<T>>,
    options: Partial<UniversalHandlerOptions> = {},
  ): this => {
    this.#connect.service(service, implementation, options);
    const spec = createServiceImplSpec(service, implementation);
    for (const method of service.methods) {
      const methodSpec = spec.methods[method.localName];
      if (methodSpec !== undefined) {
        this.routes.set(method, { spec: methodSpec, options });
      }
    }
    return this;
  };

  rpc = <M extends DescMethod>(
    method: M,
    impl: MethodImpl<M>,
    options: Partial<UniversalHandlerOptions> = {},
  ): this => {
    this.#connect.rpc(method, impl, options);
    this.routes.set(method, { spec: createMethodImplSpec(method, impl), options });
    return this;
  };
}

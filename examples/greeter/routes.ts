// The greeter's routes, in the shape `p2prpc serve` hosts (and a Connect
// HTTP server takes):
//
//   node --conditions=p2prpc-source src/cli/p2prpc.ts serve examples/greeter/routes.ts
import type { ConnectRouter } from "@connectrpc/connect";
import { GreeterService } from "../../gen/acme/greeter/v1/greeter_pb.ts";
import { greeterImpl } from "./service.ts";

export function routes(router: ConnectRouter): void {
  router.service(GreeterService, greeterImpl);
}

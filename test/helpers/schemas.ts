export {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
} from "../../gen/p2prpc/test/v1/test_pb.ts";
export {
  RequestHeaderSchema,
  ResponseHeaderSchema,
  TrailerSchema,
} from "../../gen/p2prpc/wire/v1/wire_pb.ts";

import { describeMessageSizes } from "../helpers/message-size-matrix.ts";

describeMessageSizes("quic");

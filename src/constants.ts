/** Default protocol id prefix: `/p2prpc/<package.Service>/<Method>/<version>`. */
export const DEFAULT_PROTOCOL_PREFIX = "/p2prpc";

/** Version of the p2prpc wire protocol, the last segment of every protocol id. */
export const WIRE_VERSION = "1.0.0";

/** Default largest message, in bytes, a peer accepts or sends (4 MiB, as gRPC). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Default limit of concurrent streams per method and connection, each direction. */
export const DEFAULT_MAX_STREAMS_PER_METHOD = 1024;

/**
 * The largest deadline, in milliseconds: 2^31 - 1 (about 24.8 days), the
 * longest delay a JavaScript timer can wait. Longer ones would fire at once.
 */
export const MAX_TIMEOUT_MS = 0x7fff_ffff;

/**
 * Bytes received and not read that a reader keeps before it pauses the
 * stream, so a slow consumer pushes back on the sender through the muxer's
 * flow control. A reader never stays paused while a read waits: then what is
 * buffered is the start of the frame that read needs, however large.
 */
export const DEFAULT_READ_HIGH_WATER_MARK_BYTES = 256 * 1024;

/**
 * How much a paused libp2p stream may buffer before libp2p resets it. Yamux can
 * have granted up to 16 MiB of window before the pause took effect, so the
 * stream's own default (4 MiB) is raised by this much over the largest frame.
 */
export const PAUSED_READ_BUFFER_SLACK_BYTES = 17 * 1024 * 1024;

/** Default number of idle streams a client keeps per peer for later calls. */
export const DEFAULT_MAX_IDLE_STREAMS = 64;

/**
 * Default time a connection that carried no p2prpc call is kept, in
 * milliseconds: a minute outlasts the pauses of request/response rhythms
 * while a node that calls many peers in turn does not hold every one of them
 * (an idle Noise + Yamux connection costs a few hundred KiB on each side).
 */
export const DEFAULT_IDLE_CONNECTION_TIMEOUT_MS = 60_000;

/** Default largest number of peers kept connected for calls (the cache size of oNode, Olane's connection manager over libp2p). */
export const DEFAULT_MAX_PEERS = 100;

/** Default longest wait for a connection to a peer, in milliseconds. */
export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;

/** Default time a client keeps an idle stream open, in milliseconds. */
export const DEFAULT_IDLE_STREAM_TIMEOUT_MS = 30_000;

/** A frame writer sends its batch of small frames once it reaches this size. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024;

/**
 * Bytes a stream's writer hands to its stream in one turn of the event loop
 * before its producer waits for the next turn (see FrameWriter): about 5 ms
 * of a bulk stream here, so that a small call on the same node is read
 * between a bulk stream's writes.
 */
export const TURN_BUDGET_BYTES = 1024 * 1024;

/** Message bodies at least this large are sent by reference, never copied into their frame. */
export const COPY_BODY_MAX_BYTES = 16 * 1024;

/** `bytes` fields at least this large are copied once when a message is encoded (see encodeMessageFrame). */
export const LARGE_BYTES_FIELD_MIN_BYTES = 2 * 1024;

/**
 * Bytes of a Yamux stream's receive window consumed before the receiver grants
 * them back with a window update (see batchWindowUpdates). Yamux's own rule
 * is "after every data frame".
 */
export const WINDOW_UPDATE_MIN_BYTES = 16 * 1024;

/** How long after a connection opens `createRpcNode` runs identify on it, in milliseconds. */
export const DEFAULT_IDENTIFY_DELAY_MS = 1000;

/**
 * Default bound, in milliseconds, within which `createRpcNode` finds a dead
 * connection (see `livenessTimeoutMs`): a ping every 5 s, each given 5 s.
 */
export const DEFAULT_LIVENESS_TIMEOUT_MS = 10_000;

/**
 * Default time, in milliseconds, a server waits for a new stream's first
 * REQUEST_HEADER (and for a later header once its first byte arrived): the
 * same as libp2p's own 10 s for negotiating an inbound stream's protocol.
 */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;

/**
 * Default limit of concurrent p2prpc streams one peer may have open to a
 * server, over all its methods and connections: as many as one method
 * allows on one connection, so a peer cannot multiply it by opening more
 * methods or connections.
 */
export const DEFAULT_MAX_STREAMS_PER_PEER = 1024;

/**
 * Connections a node keeps open at once (libp2p's `maxConnections`, whose
 * default is the same): past it, libp2p refuses inbound connections, so a
 * flood of new peers cannot take a server's memory. Measured: see
 * docs/RELIABILITY.md, "Hostile peers".
 */
export const DEFAULT_MAX_CONNECTIONS = 300;

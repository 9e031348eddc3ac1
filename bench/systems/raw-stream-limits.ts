/** Streams a raw protocol handler allows each way: above workload h's 1,000 (libp2p's defaults are 32 in, 64 out). */
export const RAW_STREAM_LIMITS = { maxInboundStreams: 4096, maxOutboundStreams: 4096 };

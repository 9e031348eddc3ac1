// One price source, any number of subscribers. The source never waits for a
// subscriber: it only replaces the latest price. Each subscriber's stream
// sends the latest price whenever it can, so a slow one skips prices (a gap
// in `seq`) instead of holding back the source, or anyone else.
import type { ServiceImpl } from "@connectrpc/connect";
import type { TickerService } from "../../gen/acme/ticker/v1/ticker_pb.ts";

const MAX_BOOK_BYTES = 1024 * 1024;

export interface Ticker {
  readonly service: ServiceImpl<typeof TickerService>;
  stop(): void;
}

export function createTicker(intervalMs: number): Ticker {
  let seq = 0n;
  let price = 100;
  let tick = Promise.withResolvers<void>();
  const timer = setInterval(() => {
    seq++;
    price = Math.max(1, price + (Math.random() - 0.5));
    const ticked = tick;
    tick = Promise.withResolvers<void>();
    ticked.resolve();
  }, intervalMs);

  const nextTick = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done);
      void tick.promise.then(done);
    });

  return {
    service: {
      async *subscribe(req, ctx) {
        let sent = 0n;
        while (!ctx.signal.aborted) {
          if (seq > sent) {
            sent = seq;
            // Waits while this subscriber's stream is full; the source goes on.
            yield {
              symbol: req.symbol,
              seq: sent,
              price: Math.round(price * 100) / 100,
              book: new Uint8Array(Math.min(req.bookBytes, MAX_BOOK_BYTES)),
            };
          } else {
            await nextTick(ctx.signal);
          }
        }
      },
    },
    stop: () => clearInterval(timer),
  };
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AbortRace } from "../../src/server/abort-race.ts";

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("AbortRace", () => {
  it("passes values and rejections through while the signal stays quiet", async () => {
    const race = new AbortRace(new AbortController().signal);
    assert.equal(await race.race(Promise.resolve(1)), 1);
    await assert.rejects(race.race(Promise.reject(new Error("no"))), /no/);
    assert.equal(await race.race(Promise.resolve(2)), 2);
    race.dispose();
  });

  it("rejects a pending race with the signal's reason, even if the promise never settles", async () => {
    const controller = new AbortController();
    const race = new AbortRace(controller.signal);
    assert.equal(await race.race(Promise.resolve("first")), "first");
    const pending = race.race(new Promise(() => {}));
    controller.abort(new Error("deadline"));
    await assert.rejects(pending, /deadline/);
    await assert.rejects(race.race(Promise.resolve("late")), /deadline/, "aborted: no more races");
  });

  it("a race that settles late does not disarm the race started after it", {
    timeout: 5000,
  }, async () => {
    const controller = new AbortController();
    const race = new AbortRace(controller.signal);
    const slow = deferred<string>();
    const first = race.race(slow.promise);
    // The handler's next step is raced before the first one settled.
    const second = race.race(new Promise(() => {}));
    slow.resolve("one");
    assert.equal(await first, "one");
    controller.abort(new Error("cancelled"));
    await assert.rejects(second, /cancelled/);
  });

  it("stops listening once disposed", () => {
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    };
    const race = new AbortRace(signal);
    for (let i = 0; i < 100; i++) {
      void race.race(Promise.resolve(i));
    }
    race.dispose();
    assert.deepEqual([added, removed], [1, 1], "one listener for the whole call");
  });
});

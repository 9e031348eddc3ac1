import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, vi } from "vitest";
import { everyTick } from "../../src/node/every-tick.ts";
import { waitFor } from "../helpers/wait-for.ts";

/**
 * Interval timers everyTick made and has not cleared since the spies were
 * set (unref'd timers do not show in `process.getActiveResourcesInfo()`).
 */
function timeouts(): number {
  const made = vi.mocked(setInterval).mock.results.map((result) => result.value as unknown);
  const cleared = new Set(vi.mocked(clearInterval).mock.calls.map(([timer]) => timer as unknown));
  return made.filter((timer) => !cleared.has(timer)).length;
}

describe("everyTick", () => {
  const stops: (() => void)[] = [];
  beforeEach(() => {
    vi.spyOn(globalThis, "setInterval");
    vi.spyOn(globalThis, "clearInterval");
  });
  afterEach(() => {
    for (const stop of stops.splice(0)) {
      stop();
    }
    vi.restoreAllMocks();
  });

  it("runs every callback of one period from one timer, in one turn", async () => {
    const before = timeouts();
    let sameTurn = 0;
    let otherTurn = 0;
    let first = 0;
    let pending = false;
    stops.push(
      everyTick(5, () => {
        first++;
        pending = true;
        // Node runs microtasks between two timers' callbacks, not between
        // the callbacks one timer calls.
        queueMicrotask(() => {
          pending = false;
        });
      }),
    );
    stops.push(
      everyTick(5, () => {
        if (pending) {
          sameTurn++;
        } else {
          otherTurn++;
        }
      }),
    );
    assert.equal(timeouts() - before, 1, "one timer for both callbacks");
    await waitFor(() => sameTurn >= 5, "five shared ticks", 5000);
    assert.equal(otherTurn, 0, "the second callback always ran in the first's turn");
    assert.ok(first >= 5);
  });

  it("keeps ticking for the others when one stops, and clears the timer after the last", async () => {
    const before = timeouts();
    let a = 0;
    let b = 0;
    const stopA = everyTick(5, () => a++);
    const stopB = everyTick(5, () => b++);
    stops.push(stopB);
    stopA();
    const aAtStop = a;
    const bAtStop = b;
    await waitFor(() => b >= bAtStop + 3, "three more ticks of the one left", 5000);
    assert.equal(a, aAtStop, "a stopped callback is not called again");
    stopB();
    stopB();
    assert.equal(timeouts(), before, "no timer left once nobody ticks");
    // A period used again gets a timer again.
    let c = 0;
    stops.push(everyTick(5, () => c++));
    await waitFor(() => c >= 2, "ticks after a restart", 5000);
  });

  it("gives each period its own timer, and adding one function twice makes two subscriptions", async () => {
    const before = timeouts();
    let count = 0;
    const tick = (): void => {
      count++;
    };
    stops.push(
      everyTick(5, tick),
      everyTick(5, tick),
      everyTick(7, () => {}),
    );
    assert.equal(timeouts() - before, 2, "one timer per period");
    await waitFor(() => count >= 6, "both subscriptions called", 5000);
    assert.equal(count % 2, 0, "each tick calls the function once per subscription");
  });

  it("does not call a callback that an earlier one stopped in the same tick", async () => {
    let stopped = 0;
    let ticks = 0;
    let stopSecond = (): void => {};
    stops.push(
      everyTick(5, () => {
        ticks++;
        stopSecond();
      }),
    );
    stopSecond = everyTick(5, () => {
      stopped++;
    });
    await waitFor(() => ticks >= 3, "three ticks of the first", 5000);
    assert.equal(stopped, 0, "stopped before its first turn, so never called");
  });
});

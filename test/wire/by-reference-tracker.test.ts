import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { ByReferenceTracker } from "../../src/wire/by-reference-tracker.ts";

describe("ByReferenceTracker", () => {
  const tracker = new ByReferenceTracker();
  const trackReadByCipher = (value: Uint8Array, onRead: () => void): boolean =>
    tracker.track(value, onRead);
  const noteReadByCipher = (plaintext: Uint8Array | Uint8Array[]): void =>
    tracker.noteRead(plaintext);
  const stopWaitingForCipher = (value: Uint8Array): void => tracker.stopWaiting(value);

  it("calls back once every byte of the value was read, in any pieces", () => {
    const buffer = new Uint8Array(100);
    const value = buffer.subarray(10, 90);
    let calls = 0;
    assert.equal(
      trackReadByCipher(value, () => calls++),
      true,
    );
    noteReadByCipher(buffer.subarray(0, 30)); // 20 bytes of the value
    noteReadByCipher(new Uint8Array(50)); // another buffer: not counted
    noteReadByCipher(buffer.subarray(90, 100)); // past the value: not counted
    assert.equal(calls, 0);
    noteReadByCipher(buffer.subarray(30, 89));
    assert.equal(calls, 0, "one byte still unread");
    noteReadByCipher(buffer.subarray(89, 95));
    assert.equal(calls, 1);
    noteReadByCipher(buffer.subarray(10, 90));
    assert.equal(calls, 1, "a value is reported once");
  });

  it("refuses a second value in the same buffer while one is in flight", () => {
    const buffer = new Uint8Array(64);
    assert.equal(
      trackReadByCipher(buffer.subarray(0, 32), () => {}),
      true,
    );
    assert.equal(
      trackReadByCipher(buffer.subarray(32), () => {}),
      false,
    );
    noteReadByCipher(buffer.subarray(0, 32));
    assert.equal(
      trackReadByCipher(buffer.subarray(32), () => {}),
      true,
      "free again once read",
    );
  });

  it("keeps a value whose sender stopped waiting in flight until it was read", () => {
    const value = new Uint8Array(16);
    let calls = 0;
    assert.equal(
      trackReadByCipher(value, () => calls++),
      true,
    );
    stopWaitingForCipher(value);
    assert.equal(
      trackReadByCipher(value, () => {}),
      false,
    );
    // Reads are looked at while some sender waits.
    const other = new Uint8Array(16);
    let otherCalls = 0;
    assert.equal(
      trackReadByCipher(other, () => otherCalls++),
      true,
    );
    noteReadByCipher([value, other]);
    assert.equal(calls, 0, "nobody is called back for the abandoned value");
    assert.equal(otherCalls, 1);
    assert.equal(
      trackReadByCipher(value, () => {}),
      true,
      "free again once read",
    );
    stopWaitingForCipher(value);
  });

  it("does not track an empty value", () => {
    assert.equal(
      trackReadByCipher(new Uint8Array(0), () => {}),
      false,
    );
  });
});

describe("ByReferenceTracker, one per node", () => {
  it("counts only reads reported to itself: two nodes in one process never mix their values", () => {
    const first = new ByReferenceTracker();
    const second = new ByReferenceTracker();
    const value = new Uint8Array(64);
    let read = 0;
    assert.equal(
      first.track(value, () => read++),
      true,
    );
    assert.equal(
      second.track(value, () => {}),
      true,
      "the other node tracks the same bytes on its own",
    );
    second.noteRead(value);
    assert.equal(read, 0, "a read reported to another node's tracker is not this one's");
    first.noteRead(value);
    assert.equal(read, 1);
  });
});

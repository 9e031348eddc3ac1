import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { CallControl } from "../call-control.ts";

/**
 * Emits the handler's messages until it returns, waiting whenever `emit`
 * asks to (the stream is full). Settles when the handler is done or fails;
 * once `control` aborts, no further message is emitted. Driven by callbacks,
 * not an `await` per message: a streamed message costs one reaction on the
 * handler's promise, with no promise or closure of its own.
 */
export function pumpOutput(
  iterator: AsyncIterator<MessageShape<DescMessage>>,
  emit: (message: MessageShape<DescMessage>) => Promise<void> | undefined,
  control: CallControl,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const step = (): void => {
      if (control.aborted) {
        return;
      }
      try {
        iterator.next().then(onResult, reject);
      } catch (error) {
        // A hand-written iterator may throw instead of rejecting.
        reject(error);
      }
    };
    const onResult = (result: IteratorResult<MessageShape<DescMessage>>): void => {
      let full: Promise<void> | undefined;
      try {
        if (result.done === true) {
          resolve();
          return;
        }
        if (control.aborted) {
          return;
        }
        full = emit(result.value);
      } catch (error) {
        // emit() refused the message, or the iterator's result was no object.
        reject(error);
        return;
      }
      if (full === undefined) {
        step();
      } else {
        full.then(step, reject);
      }
    };
    step();
  });
}

/**
 * A CozePort that keeps Coze within what it accepts: every call that starts work at Coze (chat,
 * new conversation, upload, transcription) waits for a slot of the adaptive `CozeLimiter`, and a
 * throttling refusal (`isThrottling`: 4013/4019/4020/4028, HTTP 429) is not an error for the
 * caller: the limiter lowers the limit and pauses, and the same call is made again at the head of
 * the line. So a throttled message is never failed, apologised for or counted against the
 * caller's attempts while throttling lasts; it waits, leased, until Coze takes it (or shutdown or
 * a lost lease aborts it through `signal`). Cancels pass straight through: they lighten Coze's load.
 */
import type { CozeLimiter, Slot } from './coze-limiter.js';
import { isThrottling, type CozePort } from './ports.js';

type ChatRequest = Parameters<CozePort['chat']>[0];

export function limitCoze(coze: CozePort, limiter: CozeLimiter): CozePort {
  /** Runs `call` under a slot until Coze stops refusing it for load. */
  async function limited<T>(call: (slot: Slot) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    let retry = false;
    for (;;) {
      const slot = await limiter.acquire(signal, retry);
      try {
        const result = await call(slot);
        slot.release('done');
        return result;
      } catch (err) {
        if (isThrottling(err) && !signal?.aborted) {
          slot.release('throttled');
          retry = true;
          continue;
        }
        slot.release('failed');
        throw err;
      }
    }
  }

  return {
    chat: (req: ChatRequest) =>
      limited(
        (slot) =>
          coze.chat({
            ...req,
            // Coze's first event is its acceptance of the chat: the limiter learns from that.
            onEvent: (e) => {
              slot.accepted();
              req.onEvent?.(e);
            },
          }),
        req.signal,
      ),
    uploadFile: (filename, data, contentType, signal) =>
      limited(() => coze.uploadFile(filename, data, contentType), signal),
    transcribe: (filename, data, contentType, signal) =>
      limited(() => coze.transcribe(filename, data, contentType), signal),
    speech: (input, voiceId, signal) => limited(() => coze.speech(input, voiceId), signal),
    cancelChat: (conversationId, chatId) => coze.cancelChat(conversationId, chatId),
  };
}

import type { CallbackFailure } from '../callbacks/callback-dispatcher.js';
import type { Logger } from './logger.js';

/**
 * A failure listener of the callback dispatcher that logs one `callback delivery failed` line, at
 * level warn, per attempt that did not deliver: `execution_id`, `attempt`, `reason`, `gave_up`, and
 * `next_attempt` when a retry is due. `reason` is the class of the failure only (`HTTP 503`,
 * `ECONNREFUSED`, `timeout`, `refused address`): the receiver's answer may quote the body it was
 * sent, which holds the run's arguments and output. Never the body sent, the secret or its
 * signature, the receiver's answer, nor the callback URL or its host (its path and query may carry
 * the receiver's own tokens): the execution's record has them.
 */
export function logCallbackFailures(logger: Logger): (failure: CallbackFailure) => void {
  return (failure) => {
    logger.warn(
      {
        execution_id: failure.executionId,
        attempt: failure.attempt,
        reason: failure.reason,
        gave_up: failure.state === 'failed',
        next_attempt: failure.nextAttempt ?? undefined,
      },
      'callback delivery failed',
    );
  };
}

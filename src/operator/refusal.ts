/**
 * Why an operator's action was refused. The console turns each code into a sentence in the
 * operator's language saying what went wrong and what to do (src/console/pages/operator-api.ts).
 */
export type RefusalCode =
  /** The session is with a WeCom servicer (service_state/trans): wxcoze can no longer send to it. */
  | 'human_mode'
  /** A reply while the AI still has the chat: take it over first. */
  | 'not_taken_over'
  /** A retry that needs the AI while an operator has the chat: hand it back, or reply yourself. */
  | 'taken_over'
  /** The 5 messages WeCom allows after the customer's latest message are used. */
  | 'budget_spent'
  /** 48 hours since the customer's latest message (or they never wrote): WeCom refuses any send. */
  | 'window_closed'
  | 'empty_text'
  /** Over WeCom's 2,048 bytes for one text message. */
  | 'too_long'
  /** The action id is not one a browser makes, or was used for another customer. */
  | 'bad_action_id'
  | 'not_found'
  /** Not (or no longer) failed: already retried, or never failed. */
  | 'not_failed'
  /** A welcome's code is valid 20 s after the customer entered: it cannot be sent again. */
  | 'welcome_expired';

export class OperatorRefusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'OperatorRefusal';
  }
}

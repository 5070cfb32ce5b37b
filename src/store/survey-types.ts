/** The satisfaction survey's store (migration 14, src/store/sql/surveys.ts); the pipeline's sweeper and the console use it. */

/** A conversation that went quiet and may be owed a survey: its customer and its newest row. */
export interface QuietConversation {
  openKfId: string;
  externalUserId: string;
  /** The customer's last message (answered by the AI): the conversation the survey closes. */
  lastSeq: number;
  lastMsgid: string;
  /** When they sent it (ms). */
  lastAt: number;
}

/** A survey claimed by this instance to send (or to send again after its sender vanished). */
export interface ClaimedSurvey {
  id: number;
  openKfId: string;
  externalUserId: string;
  lastSeq: number;
  createdAt: number;
}

/** How many customers chose each rating (1 = the best button) in a time range. */
export interface RatingCount {
  rating: number;
  /** The button's words as the customer saw them (the latest seen for this rating). */
  label: string;
  n: number;
}

export interface SurveysStore {
  /**
   * Conversations of these accounts whose customer's last message was answered by the AI (state
   * done) between `since` and `quietBefore` (ms), with nothing newer from the customer or still
   * pending, and no survey covering it yet. At most `limit`, oldest first.
   */
  quietConversations(q: {
    openKfIds: string[];
    since: number;
    quietBefore: number;
    limit: number;
  }): Promise<QuietConversation[]>;
  /**
   * Claims the survey of one conversation: one INSERT keyed by (account, customer, lastSeq). Of
   * several instances only the first gets the id; the others get undefined.
   */
  claim(
    c: { openKfId: string; externalUserId: string; lastSeq: number; via: 'quiet' | 'session_end' },
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<number | undefined>;
  /** Surveys claimed by an instance that did not finish within its lease, re-claimed (one conditional UPDATE each). */
  reclaimStale(owner: string, now: number, leaseMs: number, createdSince: number): Promise<ClaimedSurvey[]>;
  /** Sent (or refused as a duplicate): recorded, and a send_msg logged against the customer's budget. */
  markSent(id: number, owner: string, outMsgid: string | null, now: number): Promise<void>;
  /** WeCom refused it for good (budget, 48 h, session state): not tried again. */
  markFailed(id: number, owner: string, note: string, now: number): Promise<void>;
  /** The customer's click: the rating of the survey `id`, if it was sent to this customer. False otherwise. */
  rate(
    id: number,
    openKfId: string,
    externalUserId: string,
    rating: number,
    label: string,
    at: number,
  ): Promise<boolean>;
  /** Ratings given in [from, to), per rating (the console's charts). */
  ratingCounts(q: { from: number; to: number; openKfId?: string }): Promise<RatingCount[]>;
}

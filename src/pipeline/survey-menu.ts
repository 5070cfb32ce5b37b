import type { OutboundMessage } from '../wecom/types.js';
import { cutToBytes } from './reply.js';

/**
 * The survey's rating menu and its clicks. A click comes back from WeCom as a customer text message
 * whose `text.menu_id` is the id of the button (docs/protocol.md §sync_msg): `wxs_<survey id>_<n>`,
 * n = the button's place (1 = best). The follow-up menu's ids are `wxc_<n>` (send-reply.ts): those
 * clicks are questions for Coze; these never are.
 */
const RATING_ID = /^wxs_(\d{1,18})_(\d{1,2})$/;

export function ratingMenuId(surveyId: number, rating: number): string {
  return `wxs_${surveyId}_${rating}`;
}

/** The survey and the rating a click's menu_id names, or undefined for any other text. */
export function parseRatingClick(menuId: unknown): { surveyId: number; rating: number } | undefined {
  if (typeof menuId !== 'string') return undefined;
  const m = RATING_ID.exec(menuId);
  if (!m) return undefined;
  const rating = Number(m[2]);
  return rating >= 1 && rating <= 10 ? { surveyId: Number(m[1]), rating } : undefined;
}

/** The msgmenu of survey `surveyId`: the question, then one click button per rating (≤ 10, ≤ 128 bytes each). */
export function ratingMenu(surveyId: number, question: string, options: string[]): OutboundMessage {
  return {
    msgtype: 'msgmenu',
    msgmenu: {
      head_content: cutToBytes(question, 1024),
      list: options.slice(0, 10).map((o, i) => ({
        type: 'click',
        click: { id: ratingMenuId(surveyId, i + 1), content: cutToBytes(o, 128) },
      })),
    },
  };
}

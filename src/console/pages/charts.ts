import { t } from '../i18n.js';
import { sendPage } from '../layout.js';
import type { ConsolePage } from '../types.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** The three ranges the page offers: hours over a day, days over a week and a month. */
export const RANGES = {
  '24h': { bucketMs: HOUR, buckets: 24 },
  '7d': { bucketMs: DAY, buckets: 7 },
  '30d': { bucketMs: DAY, buckets: 30 },
} as const;
export type RangeName = keyof typeof RANGES;

/**
 * [from, to) of a range ending with the bucket that holds `now`: whole hours, or whole days of
 * the business's own calendar (WXCOZE_UTC_OFFSET), so "today" starts at its local midnight.
 */
export function rangeWindow(
  range: RangeName,
  now: number,
  offsetMin: number,
): { from: number; to: number; bucketMs: number } {
  const { bucketMs, buckets } = RANGES[range];
  const shift = bucketMs === DAY ? offsetMin * 60_000 : 0;
  const to = Math.floor((now + shift) / bucketMs) * bucketMs + bucketMs - shift;
  return { from: to - buckets * bucketMs, to, bucketMs };
}

/** The charts: messages in, answered, skipped and failed; handoff rate; answer latency p50/p95; satisfaction ratings. */
export const chartsPage: ConsolePage = async (app, opts) => {
  app.get('/charts', async (req, reply) =>
    sendPage(req, reply, opts.base, {
      title: t(req.consoleLang, 'nav_charts'),
      active: 'charts',
      script: 'charts.js',
      styles: ['vendor/uplot.css', 'ops.css'],
    }),
  );

  app.get<{ Querystring: { range?: RangeName; openKfId?: string } }>(
    '/api/charts',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            range: { type: 'string', enum: Object.keys(RANGES), default: '24h' },
            openKfId: { type: 'string', minLength: 1, maxLength: 64 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const range = req.query.range ?? '24h';
      const offsetMin = opts.config.service.quietHours?.offsetMin ?? 480;
      const w = rangeWindow(range, Date.now(), offsetMin);
      const kf = req.query.openKfId ? { openKfId: req.query.openKfId } : {};
      const series = await opts.store.stats.series({ ...w, ...kf });
      // The survey's ratings given in the range, per rating (1 = the best button).
      const ratings = await opts.store.surveys.ratingCounts({ from: w.from, to: w.to, ...kf });
      return { range, offsetMin, ...series, ratings };
    },
  );
};

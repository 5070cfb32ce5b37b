// The charts: messages in and how they ended, the handoff rate, and how long customers waited
// for an answer (p50/p95), over 24 h, 7 d or 30 d. uPlot ships in the package (served from
// node_modules by the console); nothing is fetched from elsewhere.
import uPlot from '../vendor/uplot.js';
import { api, el, lang, mainContainer, useStrings } from './app.js';

const STRINGS = {
  zh: {
    r24h: '24 小时',
    r7d: '7 天',
    r30d: '30 天',
    range: '时间范围',
    messages: '消息数',
    in: '收到',
    answered: '已回答',
    skipped: '已跳过',
    failed: '失败',
    handoff: '转人工比例',
    handoff_pct: '转人工 %',
    latency: '回复用时（秒）',
    p50: '中位数 p50',
    p95: '较慢的 5% p95',
    total_in: '收到消息',
    answer_rate: '回答率',
    handoff_rate: '转人工',
    wait_p50: '一般等待',
    wait_p95: '最慢 5% 等待',
    s: '{n} 秒',
    none: '—',
    latency_note: '从客户发出消息到回复发出所用的时间。',
    ratings: '满意度评价',
    ratings_note: '此时间范围内顾客点选的评分（需开启满意度评价）。',
    no_ratings: '此时间范围内还没有评价。',
    rating_n: '{n} 次',
  },
  en: {
    r24h: '24 h',
    r7d: '7 days',
    r30d: '30 days',
    range: 'Range',
    messages: 'Messages',
    in: 'In',
    answered: 'Answered',
    skipped: 'Skipped',
    failed: 'Failed',
    handoff: 'Handoff rate',
    handoff_pct: 'Handoff %',
    latency: 'Answer time (s)',
    p50: 'median p50',
    p95: 'slowest 5% p95',
    total_in: 'Messages in',
    answer_rate: 'Answered',
    handoff_rate: 'Handed off',
    wait_p50: 'Typical wait',
    wait_p95: 'Slowest 5% wait',
    s: '{n} s',
    none: '—',
    latency_note: 'From the customer sending a message to the answer going out.',
    ratings: 'Satisfaction ratings',
    ratings_note: 'Ratings customers chose in this range (with the satisfaction survey on).',
    no_ratings: 'No ratings in this range yet.',
    rating_n: '{n}',
  },
};
const t = useStrings(STRINGS);

const C = { in: '#1a73e8', answered: '#07a35a', skipped: '#8a94a0', failed: '#c62828', handoff: '#f0a500', p50: '#05713f', p95: '#c62828' };
const RANGES = ['24h', '7d', '30d'];
let range = new URLSearchParams(location.search).get('range');
if (!RANGES.includes(range)) range = '24h';

const main = mainContainer();
const switcher = el('div', { class: 'switch', role: 'group', 'aria-label': t('range') });
const buttons = RANGES.map((r) => {
  const b = el('button', { type: 'button', 'aria-pressed': String(r === range), 'data-range': r, onclick: () => select(r) }, t(`r${r}`));
  switcher.append(b);
  return b;
});
const tiles = el('div', { class: 'tiles', 'data-testid': 'chart-totals' });
const card = (title, note) => {
  const box = el('div', { class: 'chart' });
  main.append(el('section', { class: 'chart-card' }, el('h2', {}, title), note ? el('p', { class: 'muted' }, note) : null, box));
  return box;
};
main.append(switcher, tiles);
const boxes = { messages: card(t('messages')), handoff: card(t('handoff')), latency: card(t('latency'), t('latency_note')), ratings: card(t('ratings'), t('ratings_note')) };
boxes.ratings.dataset.testid = 'ratings';
let plots = [];

const pct = (a, b) => (b > 0 ? `${Math.round((a / b) * 1000) / 10}%` : t('none'));
const secs = (ms) => (ms === null || ms === undefined ? t('none') : t('s', { n: ms < 10000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000) }));

function tile(label, value, colour) {
  return el('div', { class: 'tile', style: `border-left-color:${colour}` }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value));
}

function size(box) {
  const w = Math.max(280, box.clientWidth || main.clientWidth - 20);
  return { width: w, height: w < 500 ? 180 : 240 };
}

function plot(box, data, series, yLabel, bucketMs) {
  const day = bucketMs >= 86400000;
  const opts = {
    ...size(box),
    series: [{ value: (u, v) => (v === null ? '' : new Date(v * 1000).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', day ? { month: '2-digit', day: '2-digit' } : { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })) }, ...series],
    axes: [{ values: day ? '{M}/{D}' : '{HH}:{mm}' }, { label: yLabel, size: 56 }],
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max ?? 1) * 1.1] } },
    legend: { live: true },
    cursor: { points: { size: 8 } },
  };
  const u = new uPlot(opts, data, box);
  plots.push({ u, box });
  return u;
}

function line(label, colour, extra = {}) {
  return { label, stroke: colour, width: 2, points: { show: true, size: 5, fill: colour }, spanGaps: false, ...extra };
}

async function render() {
  const r = await api(`/api/charts?range=${range}`);
  for (const p of plots) p.u.destroy();
  plots = [];
  const xs = r.buckets.map((b) => b.at / 1000);
  const tot = r.total;
  tiles.replaceChildren(
    tile(t('total_in'), String(tot.in), C.in),
    tile(t('answer_rate'), pct(tot.answered, tot.in), C.answered),
    tile(t('handoff_rate'), pct(tot.handoffs, tot.in), C.handoff),
    tile(t('wait_p50'), secs(tot.p50Ms), C.p50),
    tile(t('wait_p95'), secs(tot.p95Ms), C.p95),
  );
  plot(
    boxes.messages,
    [xs, r.buckets.map((b) => b.in), r.buckets.map((b) => b.answered), r.buckets.map((b) => b.skipped), r.buckets.map((b) => b.failed)],
    [line(t('in'), C.in, { fill: 'rgba(26,115,232,0.08)' }), line(t('answered'), C.answered), line(t('skipped'), C.skipped), line(t('failed'), C.failed)],
    '',
    r.bucketMs,
  );
  plot(
    boxes.handoff,
    [xs, r.buckets.map((b) => (b.in > 0 ? Math.round((b.handoffs / b.in) * 1000) / 10 : null))],
    [line(t('handoff_pct'), C.handoff, { fill: 'rgba(240,165,0,0.12)' })],
    '%',
    r.bucketMs,
  );
  plot(
    boxes.latency,
    [xs, r.buckets.map((b) => (b.p50Ms === null ? null : b.p50Ms / 1000)), r.buckets.map((b) => (b.p95Ms === null ? null : b.p95Ms / 1000))],
    [line(t('p50'), C.p50), line(t('p95'), C.p95)],
    '',
    r.bucketMs,
  );
  renderRatings(r.ratings ?? []);
  main.dataset.loaded = range;
}

/** One bar per rating (1 = the best button), its words and how many chose it. */
function renderRatings(ratings) {
  if (ratings.length === 0) {
    boxes.ratings.replaceChildren(el('p', { class: 'muted' }, t('no_ratings')));
    return;
  }
  const most = Math.max(...ratings.map((x) => x.n));
  boxes.ratings.replaceChildren(
    el(
      'table',
      { class: 'ratings' },
      el(
        'tbody',
        {},
        ...ratings.map((x) =>
          el(
            'tr',
            { 'data-rating': String(x.rating) },
            el('th', { scope: 'row' }, x.label || String(x.rating)),
            el('td', { class: 'bar-cell' }, el('span', { class: 'bar', style: `display:inline-block;height:0.9em;background:${C.answered};width:${Math.max(2, Math.round((x.n / most) * 200))}px` })),
            el('td', { class: 'n' }, t('rating_n', { n: x.n })),
          ),
        ),
      ),
    ),
  );
}

async function select(r) {
  range = r;
  for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.range === r));
  history.replaceState(null, '', `?range=${r}`);
  try {
    await render();
  } catch {
    // api() already told the operator.
  }
}

let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    for (const p of plots) p.u.setSize(size(p.box));
  }, 150);
});

await select(range);

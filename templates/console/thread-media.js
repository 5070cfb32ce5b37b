// A message's image, voice, video or file in a thread, from GET <base>/media (src/console/pages/media.ts),
// which fetches it from WeCom when asked. An image is fetched only when it scrolls into view and is
// shown as a thumbnail only when the server served it as an image (it decides by the bytes); a click
// opens it in a new tab. Anything else is a download link. Whatever fails says why in words (expired
// after WeCom's 3 days, too large, busy), never a broken image. DOM APIs only, like the rest.
import { base, el, t } from './app.js';

export const MEDIA_STRINGS = {
  zh: {
    m_image_loading: '图片加载中…',
    m_image_alt: '客户发送的图片（点击查看原图）',
    m_image_expired: '图片已过期（企业微信只保留 3 天）',
    m_image_not_image: '这张“图片”不是可识别的图片格式，未显示。',
    m_image_failed: '图片无法显示：{why}',
    m_download: '下载',
    m_download_file: '下载文件',
    m_download_voice: '下载语音',
    m_download_video: '下载视频',
    m_transcript: '语音转文字：{text}',
    m_no_transcript: '未能转文字：{why}',
    m_transcribing: '等待转文字…',
  },
  en: {
    m_image_loading: 'Loading the image…',
    m_image_alt: 'Image sent by the customer (click for the full size)',
    m_image_expired: 'Image expired (WeCom keeps media for 3 days only)',
    m_image_not_image: 'This "image" is not in a recognised image format; it is not shown.',
    m_image_failed: 'The image cannot be shown: {why}',
    m_download: 'Download',
    m_download_file: 'Download the file',
    m_download_voice: 'Download the voice message',
    m_download_video: 'Download the video',
    m_transcript: 'Transcript: {text}',
    m_no_transcript: 'Not transcribed: {why}',
    m_transcribing: 'Waiting for the transcript…',
  },
};

/** The URL of a row's media. */
export function mediaUrl(kf, user, seq) {
  return `${base}/media?${new URLSearchParams({ kf, user, seq: String(seq) })}`;
}

/** A link that downloads a row's media (a new tab: a refusal is a readable page, the thread stays). */
export function downloadLink(kf, user, seq, label) {
  return el('a', { class: 'media-download', href: mediaUrl(kf, user, seq), target: '_blank', rel: 'noopener' }, label);
}

// One image block per row, kept across re-renders of the thread: an image is fetched once and
// never flickers when the thread is redrawn for a live update.
const images = new Map();

// Images are fetched when they come near the screen (a long thread does not fetch them all).
const seen = new IntersectionObserver(
  (entries) => {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      seen.unobserve(e.target);
      e.target.dispatchEvent(new Event('media-visible'));
    }
  },
  { rootMargin: '200px' },
);

/** The block of an image message: a placeholder until visible, then the thumbnail or why not. */
export function imageBlock(kf, user, seq) {
  const key = `${kf}\u0000${user}\u0000${seq}`;
  const kept = images.get(key);
  if (kept) return kept;
  const url = mediaUrl(kf, user, seq);
  const box = el('div', { class: 'media-image', dataset: { state: 'waiting' } }, el('span', { class: 'muted' }, t('m_image_loading')));
  const show = (state, ...children) => {
    box.dataset.state = state;
    box.replaceChildren(...children);
  };
  const retry = () => el('button', { type: 'button', class: 'btn-link', onclick: () => load() }, t('retry'));
  async function load() {
    show('loading', el('span', { class: 'muted' }, t('m_image_loading')));
    let res;
    try {
      res = await fetch(url, { headers: { accept: 'image/*, application/json' }, credentials: 'same-origin' });
    } catch {
      show('failed', el('span', { class: 'muted' }, t('m_image_failed', { why: t('error_network') })), ' ', retry());
      return;
    }
    const type = res.headers.get('content-type') ?? '';
    if (res.ok && type.startsWith('image/')) {
      const src = URL.createObjectURL(await res.blob());
      const img = el('img', { class: 'media-thumb', src, alt: t('m_image_alt'), decoding: 'async' });
      img.addEventListener('error', () =>
        show('failed', el('span', { class: 'muted' }, t('m_image_not_image')), ' ', downloadLink(kf, user, seq, t('m_download'))),
      );
      show('shown', el('a', { href: url, target: '_blank', rel: 'noopener', class: 'media-open' }, img));
      return;
    }
    if (res.ok) {
      // Served as a download: the bytes are not an image a browser may be shown.
      await res.body?.cancel();
      show('not-image', el('span', { class: 'muted' }, t('m_image_not_image')), ' ', downloadLink(kf, user, seq, t('m_download')));
      return;
    }
    const err = type.includes('application/json') ? await res.json().catch(() => null) : null;
    const code = err?.error?.code;
    if (code === 'media_expired') return show('expired', el('span', { class: 'muted' }, t('m_image_expired')));
    const why = err?.error?.message || `HTTP ${res.status}`;
    show('failed', el('span', { class: 'muted' }, t('m_image_failed', { why })), ...(code === 'media_too_large' ? [] : [' ', retry()]));
  }
  box.addEventListener('media-visible', () => load(), { once: true });
  seen.observe(box);
  images.set(key, box);
  return box;
}

/** Under a voice message: its transcript, or why there is none (the row's note), or that it is coming. */
export function transcriptLine(item) {
  if (item.transcript) return el('div', { class: 'transcript' }, t('m_transcript', { text: item.transcript }));
  if (item.state === 'received') return el('div', { class: 'transcript muted' }, t('m_transcribing'));
  if (item.note) return el('div', { class: 'transcript muted' }, t('m_no_transcript', { why: item.note }));
  return null;
}

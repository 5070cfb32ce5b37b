/** What the contact page needs of WeCom (WecomApi has it). */
export interface ContactWayPort {
  addContactWay(openKfId: string, scene?: string): Promise<string>;
}

export interface ContactLink {
  openKfId: string;
  scene: string;
  /** The link that opens a chat with the kf account. */
  url: string;
  /** The same as a QR code, an SVG document drawn here (no outside service sees the link). */
  svg: string;
}

/** The link for the same account and scene does not change: asked of WeCom once a day at most. */
const TTL_MS = 24 * 3600_000;
const SCENE_RE = /^[0-9a-zA-Z_-]{0,32}$/;

/**
 * The kf account's contact link (`kf/add_contact_way`) and its QR code, for a website or a poster.
 * `scene` (optional, ≤ 32 of [0-9a-zA-Z_-]) comes back in the customer's enter_session, so an owner
 * can tell a poster from the website. Cached in memory per account and scene.
 */
export class ContactLinks {
  private readonly cache = new Map<string, { link: Promise<ContactLink>; at: number }>();

  constructor(
    private readonly wecom: ContactWayPort,
    private readonly now: () => number = Date.now,
  ) {}

  static validScene(scene: string): boolean {
    return SCENE_RE.test(scene);
  }

  get(openKfId: string, scene = ''): Promise<ContactLink> {
    if (!ContactLinks.validScene(scene))
      return Promise.reject(new Error('the scene may only hold letters, digits, _ and - (at most 32)'));
    const key = `${openKfId}\u0000${scene}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < TTL_MS) return hit.link;
    const link = (async () => {
      const url = await this.wecom.addContactWay(openKfId, scene || undefined);
      // Loaded at the first link asked for: a server whose console never opens this page does not
      // carry the QR encoder (and its PNG writer) in memory.
      const { default: QRCode } = await import('qrcode');
      const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { openKfId, scene, url, svg };
    })();
    this.cache.set(key, { link, at: this.now() });
    // A failure is not kept: the next visit asks WeCom again.
    link.catch(() => this.cache.delete(key));
    return link;
  }
}

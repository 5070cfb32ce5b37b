/**
 * The console as a browser uses it, for the benches: log in (the login form's CSRF field and cookie,
 * then the session cookie), and keep a page open (its event stream, and the conversation list read
 * again every 2 s, more often than the page does) while something else is measured.
 */

/** Logs in like a browser; returns the session cookie. */
export async function consoleLogin(url, base, name, password) {
  const page = await fetch(`${url}${base}/login`);
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const cookies = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const res = await fetch(`${url}${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
    body: new URLSearchParams({ name, password, _csrf: csrf ?? '', next: base }).toString(),
  });
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  if (!session) throw new Error(`login failed: HTTP ${res.status}`);
  return session;
}

/** An open console page: its event stream read, the list fetched every 2 s. `close()` ends both. */
export async function openConsolePage(url, base, cookie) {
  const ac = new AbortController();
  const events = await fetch(`${url}${base}/api/events`, {
    headers: { cookie, accept: 'text/event-stream' },
    signal: ac.signal,
  });
  if (!events.ok) throw new Error(`event stream: HTTP ${events.status}`);
  const reader = events.body.getReader();
  let bytes = 0;
  let lists = 0;
  const drain = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      bytes += value.length;
    }
  })().catch(() => {});
  const timer = setInterval(() => {
    fetch(`${url}${base}/api/conversations`, {
      headers: { cookie, accept: 'application/json' },
      signal: ac.signal,
    })
      .then((r) => r.arrayBuffer())
      .then(() => lists++)
      .catch(() => {});
  }, 2000);
  return {
    stats: () => ({ eventBytes: bytes, listsRead: lists }),
    async close() {
      clearInterval(timer);
      ac.abort();
      await drain;
    },
  };
}

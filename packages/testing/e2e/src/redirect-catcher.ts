import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A partner app's redirect URI on loopback that only records where the browser was sent. */
export interface RedirectCatcher {
  /** `http://127.0.0.1:<port>/cb` */
  redirectUri: string;
  /** Waits for the callback carrying `state`, at most `timeoutMs`. */
  callback(state: string, timeoutMs?: number): Promise<URL>;
  close(): Promise<void>;
}

/** Starts a {@link RedirectCatcher} on a free port. */
export async function startRedirectCatcher(): Promise<RedirectCatcher> {
  const seen: URL[] = [];
  const server = createServer((req, res) => {
    seen.push(new URL(req.url ?? '/', 'http://127.0.0.1'));
    res.end('captured');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`;
  return {
    redirectUri,
    async callback(state, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((url) => url.searchParams.get('state') === state);
        if (found) return new URL(`${found.pathname}${found.search}`, redirectUri);
        if (Date.now() > deadline) throw new Error('the browser never reached the redirect URI');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

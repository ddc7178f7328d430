import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** Content types of the files the browser tests serve. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/** A started static file server on localhost. */
export interface StaticServer {
  /** Its origin, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves the files under `root` on 127.0.0.1 (a free port). A request whose
 * query has `isolated` gets the headers that make a page cross-origin
 * isolated (COOP `same-origin`, COEP `require-corp`), so the tests can open
 * the same page both ways; every response is `Cross-Origin-Resource-Policy:
 * same-origin` and never cached. Paths outside `root` are refused.
 */
export function startStaticServer(root: string): Promise<StaticServer> {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = path.resolve(base, '.' + decodeURIComponent(url.pathname));
    const headers: Record<string, string> = { 'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store' };
    if (url.searchParams.has('isolated')) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (!file.startsWith(base + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    headers['Content-Type'] = TYPES[path.extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, headers);
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

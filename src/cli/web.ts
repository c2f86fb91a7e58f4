/**
 * `f4emu web [--port N] [--bind ADDR]`: serves the built page (dist/web/, from `npm run
 * build:web`) on 127.0.0.1 unless told otherwise, like every other f4emu listener. Static files
 * only: the board runs in the visitor's tab, so this server sees nothing but GETs for files.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_USAGE } from './report.js';

export const WEB_USAGE = `usage: f4emu web [--port N] [--bind ADDR]

Serves the board's web page (build it first: npm run build:web) at http://127.0.0.1:8000/.
  --port N       the TCP port (default 8000; 0 picks a free one)
  --bind ADDR    the address to listen on (default 127.0.0.1: this machine only)
  --dir DIR      serve another build of the page (default: dist/web beside f4emu)`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.elf': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.hex': 'text/plain; charset=utf-8',
};

/**
 * What the page needs and nothing more: its own scripts and worker, inline styles (xterm.js
 * sizes its rows with style attributes), and the HTTP panel's sandboxed srcdoc frame.
 * 'unsafe-eval' lets the worker's block translator compile JavaScript (new Function); without
 * it the core only interprets (the same results, several times slower).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "frame-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
].join('; ');

interface WebOptions {
  port: number;
  bind: string;
  dir: string;
}

function parseWebArgs(args: string[]): WebOptions | string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const o: WebOptions = {
    port: 8000,
    bind: '127.0.0.1',
    dir: path.resolve(here, '../../web'), // dist/cli/ → dist/web
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--port': {
        const v = value();
        if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) {
          return `--port needs a port number 0-65535, got '${v ?? ''}'`;
        }
        o.port = Number(v);
        break;
      }
      case '--bind': {
        const v = value();
        if (!v) return '--bind needs an address';
        o.bind = v;
        break;
      }
      case '--dir': {
        const v = value();
        if (!v) return '--dir needs a directory';
        o.dir = path.resolve(v);
        break;
      }
      default:
        return `unknown option '${a}' for web (see f4emu web --help)`;
    }
  }
  return o;
}

export function serveWeb(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(WEB_USAGE + '\n');
    return Promise.resolve(0);
  }
  const o = parseWebArgs(args);
  if (typeof o === 'string') {
    process.stderr.write(`f4emu: ${o}\n`);
    return Promise.resolve(EXIT_USAGE);
  }
  const root = fs.realpathSync.native(fs.existsSync(o.dir) ? o.dir : '.');
  if (!fs.existsSync(path.join(o.dir, 'index.html'))) {
    process.stderr.write(
      `f4emu: the page is not built (no ${path.join(o.dir, 'index.html')}): run 'npm run build:web' first\n`,
    );
    return Promise.resolve(EXIT_USAGE);
  }
  const server = http.createServer((req, res) => serveFile(root, req, res));
  return new Promise((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the port is in use' : e.message;
      process.stderr.write(`f4emu: web: cannot listen on ${o.bind}:${o.port}: ${why}\n`);
      resolve(EXIT_USAGE);
    });
    server.listen(o.port, o.bind, () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : o.port;
      const host = o.bind.includes(':') ? `[${o.bind}]` : o.bind;
      process.stderr.write(
        `f4emu web: serving the board's page at http://${host}:${port}/ (Ctrl-C stops)\n`,
      );
      const stop = () => {
        server.close();
        server.closeAllConnections();
        resolve(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  });
}

function serveFile(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400, headers).end('bad request\n');
    return;
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = path.resolve(root, '.' + pathname);
  let real: string;
  try {
    real = fs.realpathSync.native(file);
  } catch {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  if (real !== root && !real.startsWith(root + path.sep)) {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  fs.stat(real, (err, st) => {
    if (err || !st.isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      // Vite names every asset by its hash; only the page itself must be fetched anew.
      'Cache-Control': real.includes(`${path.sep}assets${path.sep}`)
        ? 'max-age=31536000, immutable'
        : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(real).pipe(res);
  });
}

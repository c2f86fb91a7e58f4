/**
 * A minimal HTTP/1.0 client over a HostConnection: one request, the response read to the close
 * (HTTP/1.0 with `Connection: close`, so the server's close ends the body; Content-Length is
 * honoured when present). For the page's HTTP panel and `f4emu.http()`, talking to the guest's
 * web server through the user-mode network's forward.
 */
import type { HostConnection } from './hostSockets.js';

export interface HttpResponse {
  status: number;
  statusText: string;
  /** Header names in lower case, in the order received. */
  headers: [string, string][];
  body: Uint8Array;
}

export class HttpError extends Error {}

const MAX_RESPONSE = 4 * 1024 * 1024;

export function httpRequest(
  connection: HostConnection,
  request: { method?: string; path: string; host?: string; body?: Uint8Array },
): Promise<HttpResponse> {
  const method = request.method ?? 'GET';
  if (!/^\/[\x21-\x7e]*$/.test(request.path)) {
    return Promise.reject(new HttpError(`not a path: '${request.path}' (it must start with '/')`));
  }
  const body = request.body ?? new Uint8Array(0);
  const head =
    `${method} ${request.path} HTTP/1.0\r\n` +
    `Host: ${request.host ?? '10.0.2.15'}\r\n` +
    'User-Agent: f4emu-page\r\nConnection: close\r\n' +
    (body.length > 0 || method === 'POST' ? `Content-Length: ${body.length}\r\n` : '') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      const all = concat(chunks, total);
      if (all.length === 0) {
        reject(new HttpError(error ?? 'the server closed the connection without a response'));
        return;
      }
      try {
        resolve(parseResponse(all));
      } catch (e) {
        reject(e);
      }
    };
    connection.onData = (data) => {
      total += data.length;
      if (total > MAX_RESPONSE) {
        settled = true;
        connection.destroy();
        reject(new HttpError(`the response is larger than ${MAX_RESPONSE} bytes`));
        return;
      }
      chunks.push(data);
      const all = concat(chunks, total);
      const parsed = tryComplete(all);
      if (parsed) {
        settled = true;
        connection.end();
        resolve(parsed);
      }
    };
    connection.onEnd = () => finish();
    connection.onClose = (error) => finish(error);
    connection.write(new TextEncoder().encode(head));
    if (body.length > 0) connection.write(body);
  });
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  chunks.length = 0;
  chunks.push(all);
  return all;
}

function headerEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** The response, when its Content-Length says it is all here. */
function tryComplete(bytes: Uint8Array): HttpResponse | null {
  const end = headerEnd(bytes);
  if (end < 0) return null;
  const r = parseResponse(bytes);
  const length = r.headers.find(([k]) => k === 'content-length')?.[1];
  if (length === undefined || !/^\d+$/.test(length.trim())) return null;
  return r.body.length >= Number(length.trim()) ? r : null;
}

function parseResponse(bytes: Uint8Array): HttpResponse {
  const end = headerEnd(bytes);
  if (end < 0) throw new HttpError('the response ended inside its headers');
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, end));
  const [statusLine = '', ...lines] = text.split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new HttpError(`not an HTTP response: '${statusLine.slice(0, 60)}'`);
  const headers: [string, string][] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  let body = bytes.subarray(end + 4);
  const length = headers.find(([k]) => k === 'content-length')?.[1];
  if (length !== undefined && /^\d+$/.test(length.trim())) {
    body = body.subarray(0, Number(length.trim()));
  }
  return { status: Number(m[1]), statusText: m[2] ?? '', headers, body: body.slice() };
}

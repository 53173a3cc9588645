import { STATUS_CODES, Server } from 'node:http';
import { Duplex } from 'node:stream';
import { statusErrorBody } from './api-exception.filter';

/** What Node's HTTP parser answers each of its refusals with (its own choice of status, kept). */
const STATUS_OF_PARSER_ERROR: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * A request Node's parser refuses before any route sees it (a URL or headers past 16 KiB, bytes that are not HTTP) is
 * answered in the service's one error shape too, instead of Node's bare status line.
 */
export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = STATUS_OF_PARSER_ERROR[error.code ?? ''] ?? 400;
    const text = JSON.stringify(statusErrorBody(status, messageOf(status)));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  });
}

function messageOf(status: number): string {
  if (status === 431) return 'the request line and headers exceed 16 KiB';
  return `the request is not valid HTTP (${STATUS_CODES[status]})`;
}

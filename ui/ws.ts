// The dashboard's WebSocket in the Flux process: the upgrade (guarded by ui/security.ts: token, Host,
// Origin, the number of clients) and each accepted socket handed to the stream (dashboard-stream.ts).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { requestTarget, upgradeRefusal, type Bind } from './security.js';
import type { DashboardStream, StreamSocket } from './dashboard-stream.js';

export class WebSocketUpgrade {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });

  constructor(
    private readonly stream: DashboardStream,
    private readonly bind: Bind,
    /** WebSocket clients at once: beyond, 503. */
    private readonly maxClients: number,
  ) {
    this.wss.on('connection', (ws: WebSocket) => stream.attach(streamSocket(ws)));
  }

  /** The server's 'upgrade' event: a WebSocket for a request that passes the guards, else an HTTP refusal. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A socket that errors after we let go of it must not become an uncaught exception.
    socket.on('error', () => socket.destroy());
    try {
      const refusal = upgradeRefusal(this.bind, requestTarget(req.url), req.headers, this.stream.clientCount, this.maxClients);
      if (refusal) return refuse(socket, refusal.code, refusal.text);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
    } catch {
      // Whatever a request holds, it gets an answer and the process goes on.
      refuse(socket, 400, 'Bad Request');
    }
  }

  close(): void {
    this.wss.close();
  }
}

/** A ws WebSocket as the stream's client end. */
function streamSocket(ws: WebSocket): StreamSocket {
  ws.on('error', () => ws.terminate());
  // Clients only listen; anything they send is ignored.
  ws.on('message', () => undefined);
  return {
    get open() {
      return ws.readyState === ws.OPEN;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (data) => ws.send(data, { binary: typeof data !== 'string' }),
    terminate: () => ws.terminate(),
    onClose: (listener) => void ws.on('close', listener),
  };
}

function refuse(socket: Duplex, code: number, text: string): void {
  if (socket.writable) socket.write(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

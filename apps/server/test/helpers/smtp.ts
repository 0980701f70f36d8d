import { SMTPServer } from 'smtp-server';

/** A message the test SMTP server accepted (or received, for `received`). */
export interface ReceivedMail {
  readonly messageId: string | undefined;
  readonly to: string[];
  readonly subject: string | undefined;
  readonly raw: string;
  readonly notification: string | undefined;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:<port> */
  readonly url: string;
  /** Messages acknowledged (250 sent back while the client was still connected). */
  readonly accepted: ReceivedMail[];
  /** Every message whose data arrived, accepted or not (a slow server may receive one it never acknowledges). */
  readonly received: ReceivedMail[];
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Wait this long after the data before answering (a slow server). */
  readonly delayMs?: number;
  /** Refuse the first N messages with a temporary error (451). */
  readonly failFirst?: number;
}

function header(raw: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(raw);
  return m?.[1]?.trim();
}

/** A real SMTP server (npm `smtp-server`) on a free local port, without TLS or authentication. */
export async function startSmtpServer(options: TestSmtpOptions = {}): Promise<TestSmtpServer> {
  const accepted: ReceivedMail[] = [];
  const received: ReceivedMail[] = [];
  let refused = 0;
  const closed = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onClose(session) {
      closed.add(session.id);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: ReceivedMail = {
          messageId: header(raw, 'Message-ID'),
          to: session.envelope.rcptTo.map((r) => r.address),
          subject: header(raw, 'Subject'),
          raw,
          notification: header(raw, 'X-OpenDMP-Notification'),
        };
        received.push(mail);
        if (refused < (options.failFirst ?? 0)) {
          refused++;
          const e = new Error('Try again later') as Error & { responseCode: number };
          e.responseCode = 451;
          callback(e);
          return;
        }
        const answer = (): void => {
          if (!closed.has(session.id)) {
            accepted.push(mail); // a client that died meanwhile never gets the 250: not accepted
          }
          callback(null, 'Queued');
        };
        if (options.delayMs) {
          setTimeout(answer, options.delayMs);
        } else {
          answer();
        }
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.on('error', reject);
    const net = server.listen(0, '127.0.0.1', () => {
      const address = net.address();
      if (address && typeof address === 'object') {
        resolve(address.port);
      } else {
        reject(new Error('no port'));
      }
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    accepted,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

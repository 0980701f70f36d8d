import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { NotificationSettings } from './settings.ts';

/** One e-mail to send. `messageId` is derived from the notification id, so a resend is recognisable. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly messageId: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The e-mail channel (an interface, so that tests and other transports can replace SMTP). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** `<notification-id@domain>`: the same notification always carries the same Message-ID. */
export function messageIdFor(notificationId: string, domain: string): string {
  return `<${notificationId}@${domain}>`;
}

/** SMTP through nodemailer, one connection per message (OPENDMP_SMTP_URL). */
export function createSmtpMailer(settings: NotificationSettings): Mailer | undefined {
  if (!settings.smtpUrl) {
    return undefined;
  }
  const options: SMTPTransport.Options = {
    url: settings.smtpUrl,
    connectionTimeout: settings.smtpTimeoutMs,
    greetingTimeout: settings.smtpTimeoutMs,
    socketTimeout: settings.smtpTimeoutMs,
  };
  const transport = nodemailer.createTransport(options, { from: settings.from });
  return {
    async send(m) {
      await transport.sendMail({
        to: m.to,
        subject: m.subject,
        text: m.text,
        messageId: m.messageId,
        headers: { ...m.headers },
      });
    },
  };
}

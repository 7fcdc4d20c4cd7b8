import { desc, eq, isNull, and, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Executor } from '../db/types';
import { newId } from '../ids';
import type { Emit } from '../outbox/outbox';
import { mailOutbox } from './mail.table';

declare module '../queue/types' {
  interface JobMap {
    'mail.send': { mailId: string };
  }
}

export interface MailInput {
  to: string;
  subject: string;
  text: string;
}

export interface MailTransport {
  send(mail: MailInput & { from: string }): Promise<void>;
}

/** Writes mail in the caller's transaction; the `mail.send` job delivers it after commit. */
export class Mailer {
  constructor(
    private readonly db: Database,
    private readonly transport: MailTransport | undefined,
    private readonly from: string,
  ) {}

  async queue(tx: Executor, emit: Emit, mail: MailInput): Promise<void> {
    const id = newId();
    await tx.insert(mailOutbox).values({ id, ...mail });
    await emit('mail.send', { mailId: id });
  }

  /** Idempotent: a mail already sent is not sent again. Without SMTP it stays in the mailbox. */
  async deliver(mailId: string, log: Logger): Promise<void> {
    if (!this.transport) return;
    const [mail] = await this.db
      .select()
      .from(mailOutbox)
      .where(and(eq(mailOutbox.id, mailId), isNull(mailOutbox.sentAt)));
    if (!mail) return;
    await this.transport.send({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    });
    await this.db
      .update(mailOutbox)
      .set({ sentAt: sql`now()` })
      .where(eq(mailOutbox.id, mailId));
    log.info({ mailId }, 'mail sent');
  }

  /** The dev mailbox: newest first, optionally for one recipient. */
  mailbox(to: string | undefined, limit = 50) {
    return this.db
      .select()
      .from(mailOutbox)
      .where(to ? sql`lower(${mailOutbox.to}) = lower(${to})` : undefined)
      .orderBy(desc(mailOutbox.createdAt), desc(mailOutbox.id))
      .limit(limit);
  }
}

export async function smtpTransport(url: string): Promise<MailTransport> {
  const { default: nodemailer } = await import('nodemailer');
  const transporter = nodemailer.createTransport(url);
  return {
    async send(mail) {
      await transporter.sendMail(mail);
    },
  };
}

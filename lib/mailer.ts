/**
 * Mail: one transport factory, templates compiled once at start-up in strict mode, every mail
 * with an HTML and a plain-text part. A template file is `subject: …`, then `---html---`,
 * then `---text---`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import nodemailer, { Transporter } from 'nodemailer';
import { settingFromEnv } from './config';

export const TEMPLATE_DIR = path.join(__dirname, '..', 'templates', 'mail');

interface CompiledTemplate {
  subject: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
}

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

export class MailTemplates {
  private readonly templates = new Map<string, CompiledTemplate>();

  constructor(dir = TEMPLATE_DIR) {
    const hb = Handlebars.create();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
      const source = readFileSync(path.join(dir, file), 'utf8');
      const m = /^subject:\s*(.+)\n---html---\n([\s\S]*?)\n---text---\n([\s\S]*)$/.exec(source);
      if (!m) throw new Error(`Mail template ${file} must have "subject:", "---html---" and "---text---" parts`);
      this.templates.set(file.replace(/\.hbs$/, ''), {
        subject: hb.compile(m[1].trim(), { strict: true }),
        html: hb.compile(m[2], { strict: true }),
        text: hb.compile(m[3], { strict: true, noEscape: true }),
      });
    }
  }

  names(): string[] {
    return [...this.templates.keys()].sort();
  }

  render(name: string, data: Record<string, unknown>): RenderedMail {
    const t = this.templates.get(name);
    if (!t) throw new Error(`Unknown mail template "${name}"`);
    return { subject: t.subject(data), html: t.html(data), text: t.text(data) };
  }
}

/**
 * The SMTP transport, every wait on the server bounded: connecting, the greeting, and any silence
 * in the conversation each fail after `timeoutMs` (SMTP_TIMEOUT_MS unless given) instead of
 * nodemailer's defaults of two minutes to ten minutes. Query parameters of the URL still win.
 */
export function createTransport(
  smtpUrl: string,
  timeoutMs: number = settingFromEnv('SMTP_TIMEOUT_MS'),
  opts: { pooled?: boolean } = {},
): Transporter {
  return nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    // The worker's long-lived transport keeps a few connections open (and closes them on
    // shutdown): a connection per mail was a TCP and SMTP handshake on every task opened. A
    // pooled connection the server dropped is replaced; the failed send is retried by the outbox.
    ...(opts.pooled ? { pool: true, maxConnections: 2, maxMessages: 500 } : {}),
  });
}

import { insertOnce } from '../lib/db';
import { newId } from '../lib/ids';
import type { ActivityDeps } from './deps';

export interface Recipient {
  email: string;
  name: string;
}

export interface NotifyInput {
  /**
   * Natural key of the event, unique across the whole system (prefix it with the workflow id or
   * the entity's number); combined with each recipient it makes the outbox row unique.
   */
  eventKey: string;
  template: string;
  recipients: Recipient[];
  data: Record<string, unknown>;
}

export function notificationActivities({ db }: ActivityDeps) {
  return {
    /** Puts mail into the outbox; the dispatcher sends it. A retry enqueues nothing new. */
    async notify(input: NotifyInput): Promise<number> {
      const unique = new Map(input.recipients.map((r) => [r.email.toLowerCase(), r]));
      // One insert per recipient (usually one or two), each keyed by event and recipient.
      const written = await Promise.all(
        [...unique.values()].map((r) =>
          insertOnce(() =>
            db.notification.create({
              data: {
                id: newId(),
                dedupeKey: `${input.eventKey}:${r.email.toLowerCase()}`,
                recipient: r.email,
                template: input.template,
                data: { ...input.data, recipientName: r.name } as object,
              },
              select: { id: true },
            }),
          ),
        ),
      );
      return written.filter(Boolean).length;
    },
  };
}

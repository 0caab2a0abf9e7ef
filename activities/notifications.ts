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
      const result = await db.notification.createMany({
        data: [...unique.values()].map((r) => ({
          id: newId(),
          dedupeKey: `${input.eventKey}:${r.email.toLowerCase()}`,
          recipient: r.email,
          template: input.template,
          data: { ...input.data, recipientName: r.name } as object,
        })),
        skipDuplicates: true,
      });
      return result.count;
    },
  };
}

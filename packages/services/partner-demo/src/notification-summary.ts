/**
 * One line per event for the dashboard, from the event as the bank sends it: `{ id, type,
 * created_at, environment, data }` (the bank's docs/webhooks.md). Unknown types and fields are
 * shown plainly rather than refused: the bank may add events.
 */
import type { Notification } from './webhook-inbox.ts';

type Fields = Readonly<Record<string, unknown>>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '?');
const fields = (value: unknown): Fields => (typeof value === 'object' && value !== null ? value as Fields : {});
/** An account id as people read it: its last four characters. */
const account = (value: unknown): string => `…${text(value).slice(-4)}`;

/** The summary of `event`, the accounts it concerns and the user it names. */
export function summarize(event: unknown): Omit<Notification, 'id'> {
  const { type, created_at: createdAt, data: rawData } = fields(event);
  const data = fields(rawData);
  const base = { type: text(type), createdAt: text(createdAt), accountIds: [] as string[], sub: undefined as string | undefined, forEveryone: false };
  switch (type) {
    case 'transfer.completed':
      return {
        ...base,
        summary: `Transfer ${text(data.id)} of ${text(data.amount)} ${text(data.currency)} completed`,
        // Only the payer's side: the payee learns of it through its own transaction.booked.
        accountIds: [text(data.source_account_id)],
      };
    case 'transaction.booked':
      return {
        ...base,
        summary: `${data.direction === 'credit' ? 'Credit' : 'Debit'} of ${text(data.amount)} ${text(data.currency)} booked on account ${account(data.account_id)}, balance ${text(data.balance_after)} ${text(data.currency)}`,
        accountIds: [text(data.account_id)],
      };
    case 'grant.revoked':
      return { ...base, summary: `Access to your bank ended (${text(data.reason)})`, sub: text(data.sub) };
    case 'webhook.test':
      return { ...base, summary: 'Test event from the bank', forEveryone: true };
    default:
      // A type this app does not know yet: kept, but shown to no one rather than to the wrong user.
      return { ...base, summary: `Event ${text(type)}` };
  }
}

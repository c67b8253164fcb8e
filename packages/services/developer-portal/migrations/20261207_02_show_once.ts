import type { Knex } from 'knex';

/**
 * `portal.sessions.show_once_id`: the id of the one secret waiting to be shown to this session
 * (see `createShowOnce`). The sealed cookie that carries the secret names it, and the page that
 * shows the secret clears it in the same statement that checks it, so a copy of the cookie shows
 * nothing a second time (portal review: a replayed cookie showed the secret again within its 2 minutes).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE portal.sessions ADD COLUMN show_once_id text CHECK (show_once_id IS NULL OR char_length(show_once_id) = 22);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE portal.sessions DROP COLUMN show_once_id');
}

import type { Knex } from 'knex';

// Placeholder: filled in by the work on this part of the authorization server.
export async function up(_knex: Knex): Promise<void> {}

export async function down(_knex: Knex): Promise<void> {}

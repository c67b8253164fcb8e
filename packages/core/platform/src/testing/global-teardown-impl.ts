/** Jest global teardown: stops the embedded PostgreSQL that global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__payapiEmbeddedPostgres?.stop();
  globalThis.__payapiEmbeddedPostgres = undefined;
}

import { Writable } from 'node:stream';

/** Every log line the services of a started system write, kept in memory for a test to search. */
export interface CapturedLogs {
  /** Pass as `startSystem({ logDestination })`. */
  destination: Writable;
  lines: string[];
}

/** A destination that keeps each line (pino writes one JSON object per line). */
export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { destination, lines };
}

/** An OpenAPI path item as far as the app's steps read it. */
export interface DocumentedOperation {
  parameters?: Array<{ name: string; in: string; schema?: { type?: string } }>;
}

/** One documented path: the regular expression Express would route it with, and its operations by lower-case method. */
export interface DocumentedPath {
  pattern: RegExp;
  operations: Readonly<Record<string, DocumentedOperation | undefined>>;
}

/**
 * The document's paths as Express routes them (`{account_id}` as one segment, case-insensitive,
 * an optional trailing slash), each with its operations.
 */
export function documentedPaths(document: { paths?: Record<string, unknown> }): DocumentedPath[] {
  return Object.entries(document.paths ?? {}).map(([path, item]) => {
    const pattern = path.split('/').map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))).join('/');
    return { pattern: new RegExp(`^${pattern}/?$`, 'i'), operations: item as Record<string, DocumentedOperation | undefined> };
  });
}

/** The documented path that `pathname` (no query) falls under, if any. */
export function findDocumentedPath(paths: readonly DocumentedPath[], pathname: string): DocumentedPath | undefined {
  return paths.find((path) => path.pattern.test(pathname));
}

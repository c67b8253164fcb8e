import type { RequestHandler } from 'express';
import { ApiProblem } from '../errors/problem.ts';
import { findDocumentedPath } from './documented-paths.ts';
import type { DocumentedPath } from './documented-paths.ts';

/** A plain decimal integer: digits only, no sign, no leading zero, no exponent, point or hex prefix. */
const PLAIN_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Route step before the OpenAPI validator: every query parameter the document declares as
 * `integer` must be given at most once, as a plain decimal integer. The validator (Ajv's type
 * coercion) would read `0x10` as 16, `1e1` and `010` as 10 and `5.0` as 5; a cache, a gateway or a
 * signature layer reading the same URL could see another number. The range stays the validator's
 * (`minimum`, `maximum`).
 *
 * @throws {ApiProblem} 400 `invalid_request` naming the parameter
 */
export function refuseLooseIntegers(paths: readonly DocumentedPath[]): RequestHandler {
  return (req, _res, next) => {
    const operation = findDocumentedPath(paths, req.path)?.operations[req.method.toLowerCase()];
    const query = req.query as Record<string, unknown>;
    for (const parameter of operation?.parameters ?? []) {
      if (parameter.in !== 'query' || parameter.schema?.type !== 'integer') continue;
      const value = query[parameter.name];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw new ApiProblem(400, 'invalid_request', `query.${parameter.name}: give it once`);
      if (!PLAIN_INTEGER.test(value)) {
        throw new ApiProblem(400, 'invalid_request', `query.${parameter.name}: must be a plain decimal integer (digits only, no leading zero)`);
      }
    }
    next();
  };
}

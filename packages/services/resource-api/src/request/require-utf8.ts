import { parse } from 'content-type';
import type { RequestHandler } from 'express';
import { ApiProblem } from '../errors/problem.ts';

/**
 * App step before the JSON body parser: a body's `charset` parameter, when given, must be
 * `utf-8` (RFC 8259 §8.1: JSON exchanged between systems is UTF-8). The body parser would also
 * decode UTF-7, UTF-16 and UTF-32, and then a reader that takes the bytes as UTF-8 (a gateway, a
 * signature layer, this API's own duplicate-key check) would see other names and values than the
 * booking does. A malformed `Content-Type` is left to the validator (415).
 *
 * @throws {ApiProblem} 415 `unsupported_media_type`
 */
export const requireUtf8: RequestHandler = (req, _res, next) => {
  const header = req.headers['content-type'];
  if (header === undefined) return next();
  let charset: string | undefined;
  try {
    charset = parse(header).parameters.charset;
  } catch {
    return next();
  }
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw new ApiProblem(415, 'unsupported_media_type', 'the request body must be UTF-8 (charset=utf-8 or none)');
  }
  next();
};

import { forPartners } from './postman-partner.ts';
import type { PostmanCollection } from './postman-partner.ts';

/**
 * The Postman collection (v2.1) of the OpenAPI document: converted with openapi-to-postmanv2, so
 * the requests can never drift from the document, then made usable as it is (`forPartners`: the
 * OAuth settings with PKCE and the partner's own client id and redirect URI, a token variable,
 * variables instead of example ids, requests chained by the document's links). The converter is
 * loaded on the first call only: it adds about 60 MB to the process, which a deployment that never
 * serves `/postman.json` does not pay.
 *
 * @param issuer the authorization server (`AUTH_ISSUER`) whose endpoints the OAuth settings name
 * @returns the collection as a JSON-serialisable object
 * @throws {Error} when the converter refuses the document, or its output misses an operation (bugs)
 */
export async function postmanCollection(document: Record<string, unknown>, issuer: string): Promise<PostmanCollection> {
  const { convert } = await import('openapi-to-postmanv2');
  const converted = await new Promise<PostmanCollection>((resolve, reject) => {
    convert({ type: 'json', data: document }, {
      folderStrategy: 'Tags',
      // The document's examples, not values made up from the schemas (`limit=69`, `cursor=string`).
      requestParametersResolution: 'Example',
      exampleParametersResolution: 'Example',
      // The auth of each request is the collection's (or, for the client's own routes, set by forPartners).
      includeAuthInfoInExample: false,
    }, (error, result) => {
      if (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const output = result?.result ? result.output?.[0] : undefined;
      if (!output) {
        reject(new Error(`openapi-to-postmanv2 refused the document: ${result?.reason ?? 'no output'}`));
        return;
      }
      resolve(output.data as PostmanCollection);
    });
  });
  return forPartners(converted, document, issuer);
}

/**
 * Converts the OpenAPI document into a Postman collection (v2.1) with openapi-to-postmanv2, so
 * the collection can never drift from the document. The converter is loaded on the first call only:
 * it adds about 60 MB to the process, which a deployment that never serves `/postman.json` does not pay.
 *
 * @returns the collection as a JSON-serialisable object
 * @throws {Error} when the converter refuses the document (a bug in the document)
 */
export async function postmanCollection(document: Record<string, unknown>): Promise<unknown> {
  const { convert } = await import('openapi-to-postmanv2');
  return new Promise((resolve, reject) => {
    convert({ type: 'json', data: document }, { folderStrategy: 'Tags', requestParametersResolution: 'Example', exampleParametersResolution: 'Example' }, (error, result) => {
      if (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      const output = result?.result ? result.output?.[0] : undefined;
      if (!output) {
        reject(new Error(`openapi-to-postmanv2 refused the document: ${result?.reason ?? 'no output'}`));
        return;
      }
      resolve(output.data);
    });
  });
}

import fc from 'fast-check';

/** The parts of JSON Schema (OpenAPI 3.1) that the resource API's document uses. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: readonly unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
}

/** Values to prefer for a property or parameter name (real account ids, sensible amounts), mixed with what the schema allows. */
export type Hints = Readonly<Record<string, fc.Arbitrary<unknown>>>;

/**
 * A fast-check arbitrary of values valid against `schema` (its `$ref`s resolved in `document`'s
 * `components.schemas`). Where `hints` name a property, three values in four come from the hint and
 * the rest from the schema alone, so requests reach past validation and still cover the whole schema.
 *
 * @throws {Error} for a schema construct the document does not use (so a new one is noticed here)
 */
export function schemaArbitrary(schema: JsonSchema, document: { components?: { schemas?: Record<string, JsonSchema> } }, hints: Hints = {}, name?: string): fc.Arbitrary<unknown> {
  const plain = plainSchemaArbitrary(schema, document, hints);
  const hint = name === undefined ? undefined : hints[name];
  return hint === undefined ? plain : fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: plain });
}

function plainSchemaArbitrary(schema: JsonSchema, document: { components?: { schemas?: Record<string, JsonSchema> } }, hints: Hints): fc.Arbitrary<unknown> {
  if (schema.$ref !== undefined) {
    const target = document.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`unresolved ${schema.$ref}`);
    return plainSchemaArbitrary(target, document, hints);
  }
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => plainSchemaArbitrary({ ...schema, type }, document, hints)));
  switch (schema.type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -(2 ** 31), max: schema.maximum ?? 2 ** 31 - 1 });
    case 'number':
      return fc.double({ min: schema.minimum, max: schema.maximum, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(schema.items ? plainSchemaArbitrary(schema.items, document, hints) : fc.jsonValue(), { maxLength: 4 });
    case 'object': {
      const properties = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, schemaArbitrary(property, document, hints, key)]));
      return fc.record(model, { requiredKeys: [...(schema.required ?? [])] });
    }
    default:
      throw new Error(`schema type ${String(schema.type)} is not supported by the fuzzer`);
  }
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? 64;
  if (schema.format === 'date-time') return dateTime;
  if (schema.pattern !== undefined) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length >= minLength && text.length <= maxLength);
  }
  if (schema.format !== undefined) throw new Error(`string format ${schema.format} is not supported by the fuzzer`);
  return fc.string({ minLength, maxLength: Math.min(maxLength, 64) });
}

/** RFC 3339 date-times in the forms a client may send: UTC, offsets, fractions of a second. */
export const dateTime: fc.Arbitrary<string> = fc.tuple(
  fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
  fc.constantFrom('Z', '+00:00', '+08:00', '-05:30', '+14:00', '-12:00'),
  fc.constantFrom('', '.1', '.123', '.123456'),
).map(([date, offset, fraction]) => `${date.toISOString().slice(0, 19)}${fraction}${offset}`);

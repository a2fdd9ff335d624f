/** Validates response bodies against the OpenAPI document the server publishes at /docs/json. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type OpenApiDoc = {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
};

const escape = (segment: string) => segment.replaceAll('~', '~0').replaceAll('/', '~1');

export function openApiValidator(doc: OpenApiDoc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema(doc as object, 'openapi');
  return {
    /** Throws unless `body` matches the schema of (path template, method, status) in the document. */
    assertResponse(pathTemplate: string, method: string, status: number, body: unknown): void {
      const operation = doc.paths[pathTemplate]?.[method.toLowerCase()];
      if (operation === undefined) throw new Error(`no ${method} ${pathTemplate} in the OpenAPI document`);
      const media = operation.responses?.[String(status)]?.content;
      if (media?.['application/json']?.schema === undefined) throw new Error(`no JSON schema for ${status} of ${method} ${pathTemplate}`);
      const operationRef = `openapi#/paths/${escape(pathTemplate)}/${method.toLowerCase()}`;
      const ref = `${operationRef}/responses/${status}/content/${escape('application/json')}/schema`;
      const validate = ajv.getSchema(ref);
      if (validate === undefined) throw new Error(`cannot compile ${ref}`);
      if (!validate(body))
        throw new Error(`${method} ${pathTemplate} ${status} does not match its schema: ${ajv.errorsText(validate.errors)}`);
    },
  };
}

import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/** The OpenAPI document, generated from the routes' zod schemas, at `/docs/json`; the UI at `/docs`. */
export const openapiPlugin = fp<{ publicUrl: string }>(
  async (app, { publicUrl }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'dealwatch',
          description: 'Webhooks, manager API and operations endpoints of dealwatch.',
          version: '1',
        },
        servers: [{ url: publicUrl }],
        components: {
          securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'A token from DEALWATCH_API_TOKENS' } },
        },
      },
      transform: jsonSchemaTransform,
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'dealwatch-openapi', fastify: '5.x' },
);

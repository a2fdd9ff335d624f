import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

/**
 * The OpenAPI document, generated from the routes' zod schemas, at `/docs/json`; the UI at `/docs`.
 * `access` (DEALWATCH_DOCS): `off` serves neither, `token` asks for an API token (a browser
 * prompts for Basic credentials: any user name, the token as password), `public` serves them to anyone.
 */
export const openapiPlugin = fp<{ publicUrl: string; access: 'off' | 'token' | 'public' }>(
  async (app, { publicUrl, access }) => {
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
    if (access === 'off') return;
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      ...(access === 'token'
        ? {
            uiHooks: {
              onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
                await app.requireDashboardToken(request, reply);
                if (reply.sent) return reply;
              },
            },
          }
        : {}),
    });
  },
  { name: 'dealwatch-openapi', fastify: '5.x' },
);

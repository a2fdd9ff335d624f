import fp from 'fastify-plugin';
import type { DealwatchServices } from '../types.js';

/** Decorates the app with its ports so every route reads `app.services.x`. */
export const servicesPlugin = fp<{ services: DealwatchServices }>(
  async (app, { services }) => {
    app.decorate('services', services);
  },
  { name: 'dealwatch-services', fastify: '5.x' },
);

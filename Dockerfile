# syntax=docker/dockerfile:1
# dealwatch production image: build with the dev toolchain, ship only runtime dependencies.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY connectors ./connectors
COPY jobs ./jobs
RUN npm run build && chmod +x dist/src/cli.js

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DEALWATCH_DATA_DIR=/var/lib/dealwatch
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# tsc copies no .sql files; the migration loader finds them here from dist/src/store/.
COPY src/store/migrations ./src/store/migrations
# ...nor .css files; the web app's stylesheet is read from here the same way.
COPY src/server/pages/assets ./src/server/pages/assets
RUN ln -s /app/dist/src/cli.js /usr/local/bin/dealwatch \
 && mkdir -p /var/lib/dealwatch && chown node:node /var/lib/dealwatch
# The embedded database (when DATABASE_URL is unset) lives here: mount persistent storage.
VOLUME ["/var/lib/dealwatch"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["dealwatch", "start"]

# syntax=docker/dockerfile:1
# One image for the API, the worker and the migrate job (docker-compose.yml picks the command).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- dependencies: full install (the Prisma client is generated in postinstall), then prune
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# package.json's `allowScripts` policy (which install scripts may run) is honoured by npm 11;
# the npm 10 bundled with Node 20 would run every package's install script.
ARG NPM_VERSION=11.19.1
RUN npm install --global "npm@${NPM_VERSION}" --no-audit --no-fund \
 && npm config set update-notifier false --location=global
COPY package.json package-lock.json ./
# postinstall runs `tsx scripts/prisma-generate.ts`, which needs the schema and config.
COPY prisma.config.ts ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: sources run through tsx (the `server`, `worker` and db:* scripts use it)
FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: fewer glibc malloc arenas, a smaller worker (scripts/lib/process-env.ts says why).
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/generated ./generated
COPY . .
# The workflow code is bundled once here; the worker loads this file instead of running webpack at
# every start (worker.ts). The API and the migrate job ignore the variable.
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
RUN npm run build:workflows
# Files stay owned by root, so the app cannot rewrite its own code; it runs as `node`.
USER node
EXPOSE 3000
CMD ["npm", "run", "server"]

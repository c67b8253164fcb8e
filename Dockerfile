# One image for every service of the workspace (no build step: Node 24 runs the TypeScript as it is);
# docker-compose.yml picks the command per service. Multi-stage: the build stage has pnpm and the
# lockfile-exact production install, the runtime stage only the result, run as the unprivileged `node`.
FROM node:24-bookworm-slim AS build
RUN npm install --global pnpm@12.4.2
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
COPY packages ./packages
RUN pnpm install --frozen-lockfile --prod

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
USER node
ENV NODE_ENV=production
# Heap limits measured by `pnpm bench` (docs/performance.md): peak RSS about 230 MB (authorization server) and
# 185 MB (resource API) under load instead of 420 MB each, at 1-30% lower rates (more garbage collection).
# Remove this line where memory is plentiful and throughput matters more.
ENV NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=160"
EXPOSE 4000 4001 4002
# Overridden per service in docker-compose.yml (each service migrates its own schema at start).
CMD ["node", "packages/services/auth-server/src/main.ts"]

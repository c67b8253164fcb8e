# One image for every service of the workspace; docker-compose.yml picks the command.
FROM node:24-bookworm-slim
RUN npm install --global pnpm@12.4.2
WORKDIR /app
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml tsconfig.base.json ./
COPY packages ./packages
RUN pnpm install --frozen-lockfile
USER node
ENV NODE_ENV=production
CMD ["node", "packages/demo/src/main.ts"]

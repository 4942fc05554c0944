# One image for every jobwatch process: the CLI is the entry point, the command picks the role
# (worker, migrate, server, demo-api). Two stages: one compiles src/ to dist/, the runtime image
# holds only production dependencies, dist/ and migrations/.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the sources are not here yet, so `prepare` (the build) runs below instead.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# (typescript is installed all the same: npm keeps it as an optional peer of valibot, a Bull Board dependency.)
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
USER node
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["--help"]

# One image for every jobwatch process: the CLI is the entry point, the command picks the role
# (worker, migrate, server, demo-api). TypeScript runs through tsx, so there is no build step.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY migrations ./migrations
USER node
ENTRYPOINT ["node", "bin/jobwatch.js"]
CMD ["--help"]

# syntax=docker/dockerfile:1
# The bot in a container: built in one stage, run in a slim one as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# sqlite3 (the embedded store) compiles from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# ffmpeg: outputs over the upload limit are sent as Ogg/Opus, long texts are joined, voice messages made.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    STORE_URL=sqlite:///app/data/bot.sqlite \
    HEALTH_PORT=8081
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
# GET /healthz answers 200 when the gateway is connected, the store answers and requests are taken, else 503.
# It is served on WEBHOOK_PORT when webhooks are on, on HEALTH_PORT otherwise.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const e=process.env,p=e.WEBHOOK_PUBLIC_URL?(e.WEBHOOK_PORT||8080):e.HEALTH_PORT;fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node itself is the entry point (no npm, no shell in between), so SIGTERM reaches the bot, which stops cleanly
# within seconds; run with --init (compose: init: true) so that PID 1 also reaps any stray child.
STOPSIGNAL SIGTERM
CMD ["node", "dist/index.js"]

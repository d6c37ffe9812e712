# gammaflow in a container, for Kubernetes Indexed Jobs and AWS Batch array jobs (deploy/, docs/scale-out.md).
#
#   docker build -t gammaflow .
#   docker run --rm gammaflow ingest --help
#
# Node 24 LTS on Debian slim, Intel ISA-L's igzip for gzip inflate ([ingest] inflate = "auto" finds it on PATH),
# production dependencies only, run as the image's unprivileged `node` user, the gammaflow CLI as the entry point.

# Production dependencies. zstd-napi fetches a prebuilt binary, or compiles one (python3, make, g++) when none fits.
FROM node:24-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (tsc) needs the dev dependencies; the native modules are built next.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild zstd-napi \
 && npm cache clean --force

# The compiled CLI and the web dashboard's assets.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# Everything tsconfig.json compiles (the unit tests next to the code import test/support); only dist/src and
# dist/web go into the image.
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY web ./web
RUN npm run build

FROM node:24-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends isal ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json config.example.toml README.md ./
COPY docs ./docs
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
# `gammaflow` on PATH is the package's bin (package.json "bin"), as `npm install -g` would link it.
RUN chmod 755 /app/dist/src/cli/main.js \
 && ln -s /app/dist/src/cli/main.js /usr/local/bin/gammaflow \
 && mkdir -p /work \
 && chown node:node /work
USER node
# The default lake (./lake), a local partition cache of an S3 lake, and DuckDB's spill files live under /work:
# mount a volume there (Kubernetes: an emptyDir; Batch: the instance's scratch disk).
WORKDIR /work
# tini passes a pod's or job's SIGTERM on to gammaflow (as PID 1, node would ignore it). A run stopped mid-day
# leaves nothing half published: the rerun recovers and redoes that day (docs/lake.md).
ENTRYPOINT ["tini", "--", "gammaflow"]
CMD ["--help"]

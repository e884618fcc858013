#!/usr/bin/env node
// The container health check: exits 0 when the URL answers 2xx within 4 s.
// Default: this container's web role, http://127.0.0.1:$PORT/health/live.
// Workers and the scheduler pass their metrics port: healthcheck.js http://127.0.0.1:9100/metrics
// Plain JavaScript on purpose: it runs every few seconds and must not pay for tsx's loader.
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT || 8080}/health/live`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);

import { createServer, type Server } from 'node:http';
import type { MessagingMetrics } from '../../lib/prometheus/index.js';

/**
 * A minimal `/metrics` endpoint with `node:http`: the sample is a standalone application context with no
 * HTTP platform installed. In an HTTP app, return `metrics.metrics()` from a controller instead.
 */
export async function serveMetrics(metrics: MessagingMetrics, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    metrics.metrics().then(
      (body) => response.writeHead(200, { 'content-type': metrics.contentType }).end(body),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, resolve));
  return server;
}

/** The lines of the exposition that carry a value for these metric names (no HELP/TYPE comments). */
export function metricsExcerpt(exposition: string, names: readonly string[]): string[] {
  return exposition.split('\n').filter((line) => names.some((name) => line.startsWith(`${name}{`) || line.startsWith(`${name} `)));
}

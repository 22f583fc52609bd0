import { PrivateRabbitNode } from './rabbitmq-node.js';

/**
 * Three private RabbitMQ nodes on loopback joined into one cluster (c2 and c3 join c1). Boot in parallel,
 * then join; `destroy()` stops and wipes all three (clusters are re-formed from scratch each run, which
 * avoids the wait a cleanly stopped member does for its old peers on its next boot).
 */
export class PrivateRabbitCluster {
  private constructor(readonly nodes: readonly PrivateRabbitNode[]) {}

  /** Creates, boots and joins the three nodes. */
  static async start(prefix: string, timeoutMs = 180_000): Promise<PrivateRabbitCluster> {
    const nodes = await Promise.all([1, 2, 3].map((i) => PrivateRabbitNode.create({ prefix: `${prefix}${i}x` })));
    const cluster = new PrivateRabbitCluster(nodes);
    try {
      await Promise.all(nodes.map((node) => node.start(timeoutMs)));
      const [first, ...others] = nodes;
      for (const node of others) {
        await node.ctl(['stop_app']);
        await node.ctl(['reset']);
        await node.ctl(['join_cluster', first!.name]);
        await node.ctl(['start_app']);
      }
      await first!.ctl(['await_online_nodes', '3', '-t', '120']);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** Every member's URL, in node order. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** The member whose AMQP port is `port`. */
  byPort(port: number): PrivateRabbitNode | undefined {
    return this.nodes.find((node) => node.port === port);
  }

  /** The member holding the client connection named `connectionName` (asked of any running member). */
  async nodeOf(connectionName: string, askVia: PrivateRabbitNode): Promise<PrivateRabbitNode | undefined> {
    const listing = await askVia.ctl(['list_connections', '--no-table-headers', 'port', 'client_properties']);
    const marker = `{"connection_name",${JSON.stringify(connectionName)}}`;
    const line = listing.split('\n').find((candidate) => candidate.includes(marker));
    return line === undefined ? undefined : this.byPort(Number(line.split('\t')[0]));
  }

  /** Stops and wipes every member; never throws. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}

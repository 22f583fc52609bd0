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

  /** A quorum queue's members and those of them online, as `list_queues` reports them (asked of `askVia`). */
  async quorumMembers(queue: string, askVia: PrivateRabbitNode): Promise<{ members: string[]; online: string[] }> {
    const listing = await askVia.ctl(['list_queues', '--no-table-headers', 'name', 'members', 'online']);
    const line = listing.split('\n').find((candidate) => candidate.split('\t')[0] === queue);
    const names = (field: string | undefined): string[] => (field ?? '').replace(/^\[|\]$/g, '').split(',').map((name) => name.trim()).filter(Boolean);
    const [, members, online] = line?.split('\t') ?? [];
    return { members: names(members), online: names(online) };
  }

  /**
   * Makes every node a member of quorum queue `queue` and waits until all are online. A quorum queue is
   * created on the nodes its declaring node sees running at that moment, so one declared right after the
   * cluster formed may have fewer members: killing one of two would then leave it without a majority.
   */
  async spreadQuorumQueue(queue: string, timeoutMs = 60_000): Promise<void> {
    const [first] = this.nodes;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { members, online } = await this.quorumMembers(queue, first!);
      if (members.length === this.nodes.length && online.length === this.nodes.length) return;
      for (const node of this.nodes.filter((candidate) => !members.includes(candidate.name))) {
        await first!.queues(['add_member', queue, node.name]).catch(() => undefined);
      }
      if (Date.now() > deadline) throw new Error(`quorum queue ${queue} has members [${members.join(', ')}], online [${online.join(', ')}] after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Stops and wipes every member; never throws. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}

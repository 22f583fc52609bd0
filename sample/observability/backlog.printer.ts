import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BacklogMonitor } from '../../lib/index.js';
import { QUEUES } from '../orders/orders.topology.js';

/** Prints the billing queue's backlog once a second while the sample runs. */
@Injectable()
export class BacklogPrinter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Backlog');
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly monitor: BacklogMonitor) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.print(), 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Samples now and prints one line for the billing queue. */
  async print(): Promise<void> {
    const billing = (await this.monitor.sample()).find((backlog) => backlog.queue === QUEUES.billing);
    if (!billing) return;
    const drain = billing.timeToDrainSeconds === null ? 'not draining' : `drains in ${billing.timeToDrainSeconds.toFixed(1)} s`;
    const wait = billing.expectedWaitSeconds === null ? 'nothing served' : `wait ${billing.expectedWaitSeconds.toFixed(1)} s`;
    this.logger.log(
      `${billing.queue}: ${billing.depth} waiting, ${billing.consumers} consumer(s), in ${billing.arrivalRate.toFixed(1)}/s, ` +
        `out ${billing.serviceRate.toFixed(1)}/s (${billing.rateSource}), ${billing.trend}, ${wait}, ${drain}`,
    );
  }
}

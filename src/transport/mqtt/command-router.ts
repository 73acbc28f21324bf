/**
 * Commands arriving on subscribed topics: routed to their handlers by filter (wildcards allowed), with a size limit.
 * Whatever the payload, and whatever a handler throws, nothing escapes into the MQTT plumbing: failures go to
 * `onError`.
 */
import { errorMessage } from '../../errors.js';
import { CommandHandlerError } from '../transport-errors.js';
import type { CommandHandler } from './publisher.js';
import { topicMatches } from './topic-match.js';

interface Route {
  filter: string;
  handler: CommandHandler;
}

export class CommandRouter {
  private readonly routes: Route[] = [];

  constructor(
    private readonly maxBytes: number,
    private readonly onError: (err: CommandHandlerError) => void,
  ) {}

  add(filter: string, handler: CommandHandler): void {
    this.routes.push({ filter, handler });
  }

  dispatch(topic: string, payload: Buffer): void {
    for (const route of this.routes) if (topicMatches(route.filter, topic)) this.deliver(route, topic, payload);
  }

  private deliver(route: Route, topic: string, payload: Buffer): void {
    if (payload.length > this.maxBytes) {
      this.onError(new CommandHandlerError(topic, `command on ${topic} ignored: ${payload.length} bytes exceeds the ${this.maxBytes}-byte limit`));
      return;
    }
    try {
      const result = route.handler({ topic, payload });
      if (result instanceof Promise) result.catch((err: unknown) => this.onError(handlerError(topic, err)));
    } catch (err) {
      this.onError(handlerError(topic, err));
    }
  }
}

function handlerError(topic: string, err: unknown): CommandHandlerError {
  return new CommandHandlerError(topic, `command handler for ${topic} failed: ${errorMessage(err)}`, { cause: err });
}

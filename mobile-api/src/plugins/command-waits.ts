/**
 * `app.commandWaits.wait()`: the bounded wait behind `?wait=true`. Fastify lets in-flight requests
 * finish before it closes, so on preClose every running wait is cut short and answers with the
 * command's current status instead of holding shutdown for up to 30 s.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CommandRecord } from '@switchfleet/cloud';

declare module 'fastify' {
  interface FastifyInstance {
    commandWaits: { wait(commandId: string, timeoutMs: number): Promise<CommandRecord | null> };
  }
}

export default fp(
  async function commandWaits(app: FastifyInstance) {
    const closing = new AbortController();
    app.decorate('commandWaits', {
      wait: (commandId: string, timeoutMs: number) =>
        app.cloud.commands.waitForTerminal(commandId, timeoutMs, { signal: closing.signal }),
    });
    app.addHook('preClose', async () => closing.abort());
  },
  { name: 'command-waits', fastify: '5.x', dependencies: ['cloud'] },
);

import { randomUUID } from 'node:crypto';
import type { Opened } from '../protocol/gen/causeway/v1/tunnel_pb.js';
import type { ServerCall } from '../protocol/grpc-server.js';
import type { MessageReader } from '../protocol/message-framing.js';
import type { AgentConnection } from './agent-registry.js';

/** What an agent's Accept stream brings back for a dial. */
export interface DialAnswer {
  opened: Opened;
  call: ServerCall;
  reader: MessageReader;
}

export class DialError extends Error {
  constructor(
    readonly code: 'ERR_DIAL_TIMEOUT' | 'ERR_TOO_MANY_PENDING' | 'ERR_AGENT_GONE',
    message: string,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

interface Pending {
  agent: AgentConnection;
  resolve: (answer: DialAnswer) => void;
  reject: (err: DialError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Dial requests sent to agents and not yet answered. Bounded in count and time; an answer is accepted
 * only from the identity the request went to.
 */
export class PendingDials {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly maxPending: number) {}

  get size(): number {
    return this.pending.size;
  }

  /** Registers a dial and returns its id and a promise of the agent's answer. */
  start(agent: AgentConnection, timeoutMs: number): { dialId: string; answer: Promise<DialAnswer> } {
    if (this.pending.size >= this.maxPending) {
      throw new DialError('ERR_TOO_MANY_PENDING', 'too many dials in progress');
    }
    const dialId = randomUUID();
    const answer = new Promise<DialAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(dialId);
        reject(new DialError('ERR_DIAL_TIMEOUT', `the agent did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(dialId, { agent, resolve, reject, timer });
    });
    return { dialId, answer };
  }

  /**
   * Hands an Accept stream to its dial. The dial id is a random capability sent only on that agent's
   * control stream, and the answer must come from the same identity (it may arrive on a newer connection
   * after a certificate rotation). Returns false if no such dial is waiting.
   */
  answer(dialId: string, fromIdentity: string, answer: DialAnswer): boolean {
    const entry = this.pending.get(dialId);
    if (!entry || entry.agent.identity !== fromIdentity) return false;
    this.pending.delete(dialId);
    clearTimeout(entry.timer);
    entry.resolve(answer);
    return true;
  }

  /** Fails every dial waiting on an agent that went away. */
  failAgent(agent: AgentConnection): void {
    for (const [dialId, entry] of this.pending) {
      if (entry.agent !== agent) continue;
      this.pending.delete(dialId);
      clearTimeout(entry.timer);
      entry.reject(new DialError('ERR_AGENT_GONE', 'the agent disconnected before answering'));
    }
  }
}

import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';

/** Answers for one name: the addresses to return for the n-th A (or AAAA) query, counting from 1. */
export type AnswerPlan = (queryNumber: number) => readonly string[];

/** What the server was asked, in order. */
export interface DnsQuery {
  readonly name: string;
  readonly type: string;
}

const NXDOMAIN = 3;
const SERVFAIL = 2;

/**
 * A tiny authoritative DNS server on UDP loopback for tests. Each name has a plan for A and one for
 * AAAA records; answers carry TTL 0 so no resolver caches them, which lets a test change the answer
 * between two queries (DNS rebinding). Unknown names get NXDOMAIN. Parsing and encoding are
 * dns-packet's.
 */
export class TestDnsServer {
  readonly queries: DnsQuery[] = [];
  private readonly counts = new Map<string, number>();

  private constructor(
    private readonly socket: Socket,
    private readonly plans: Map<string, { A?: AnswerPlan; AAAA?: AnswerPlan }>,
  ) {}

  static async start(plans: Record<string, { A?: AnswerPlan; AAAA?: AnswerPlan }>): Promise<TestDnsServer> {
    const socket = createSocket('udp4');
    const server = new TestDnsServer(socket, new Map(Object.entries(plans).map(([name, plan]) => [name.toLowerCase(), plan])));
    socket.on('message', (message, remote) => server.answer(message, remote.address, remote.port));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return server;
  }

  /** `127.0.0.1:port`, as `dns.servers` takes it. */
  get address(): string {
    return `127.0.0.1:${(this.socket.address() as AddressInfo).port}`;
  }

  /** How many queries of `type` for `name` arrived. */
  count(name: string, type: 'A' | 'AAAA'): number {
    return this.queries.filter((q) => q.name === name && q.type === type).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer, host: string, port: number): void {
    let query;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (question === undefined) return;
    const name = question.name.toLowerCase();
    this.queries.push({ name, type: question.type });
    const plan = this.plans.get(name);
    let rcode = 0;
    let answers: dnsPacket.Answer[] = [];
    if (plan === undefined) {
      rcode = NXDOMAIN;
    } else if (question.type === 'A' || question.type === 'AAAA') {
      const key = `${name} ${question.type}`;
      const n = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, n);
      const addresses = plan[question.type]?.(n) ?? [];
      answers = addresses.map((data) => ({ type: question.type as 'A' | 'AAAA', name: question.name, ttl: 0, class: 'IN', data }));
    } else {
      rcode = SERVFAIL;
    }
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | rcode,
      questions: query.questions ?? [],
      answers,
    });
    this.socket.send(reply, port, host);
  }
}

import diagnostics_channel from 'node:diagnostics_channel';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AUDIT_CHANNEL } from '../audit/audit-log.js';
import type { AuditRecord } from '../audit/events.js';
import { CLIENT_TUNNEL_CHANNEL, type ClientTunnelMessage } from './client-tunnels.js';
import { denyRuleLabel, resultLabel, unauthorizedReasonLabel } from './labels.js';

/** Live values a program reads at scrape time rather than counting. */
export interface MetricProbes {
  agentsConnected?: () => number;
  tunnelsActive?: () => number;
  /** When the program's own certificate expires, if it holds one. */
  certificateNotAfter?: () => Date | undefined;
  /** Whether the server's store answered its last check (1) or not (0). */
  storeUp?: () => boolean;
  /** Audit records waiting for the shared store, and how many were dropped because the buffer was full. */
  auditBacklog?: () => { pending: number; dropped: number };
}

export interface ProgramMetrics {
  registry: Registry;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
  close(): void;
}

const DIAL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * One registry per program with names that carry units and labels from fixed sets. Counters follow
 * the audit channel, so the emitters of events need no metrics code of their own.
 */
export function createProgramMetrics(program: 'server' | 'agent' | 'client', probes: MetricProbes = {}): ProgramMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  collectDefaultMetrics({ register: registry, prefix: 'causeway_process_' });

  if (probes.agentsConnected) {
    const read = probes.agentsConnected;
    new Gauge({ name: 'causeway_agents_connected', help: 'Agent instances registered on this server.', registers: [registry], collect() { this.set(read()); } });
  }
  if (probes.tunnelsActive) {
    const read = probes.tunnelsActive;
    new Gauge({ name: 'causeway_tunnels_active', help: 'Tunnels open now.', registers: [registry], collect() { this.set(read()); } });
  }
  if (probes.certificateNotAfter) {
    const read = probes.certificateNotAfter;
    new Gauge({
      name: 'causeway_certificate_expiry_seconds',
      help: "Seconds until this program's own certificate expires (negative once expired; absent before the first).",
      registers: [registry],
      collect() {
        const notAfter = read();
        if (notAfter) this.set((notAfter.getTime() - Date.now()) / 1000);
        else this.reset();
      },
    });
  }
  if (probes.storeUp) {
    const read = probes.storeUp;
    new Gauge({ name: 'causeway_store_up', help: "1 while the server's store (identities, token ids, audit) answers, 0 while it does not.", registers: [registry], collect() { this.set(read() ? 1 : 0); } });
  }
  if (probes.auditBacklog) {
    const read = probes.auditBacklog;
    new Gauge({ name: 'causeway_audit_buffered_records', help: 'Audit records held in memory until the shared store takes them (bounded).', registers: [registry], collect() { this.set(read().pending); } });
    let counted = 0;
    new Counter({
      name: 'causeway_audit_dropped_records_total',
      help: 'Audit records the shared store never got because the buffer was full during an outage (they are still in the JSON-lines sink).',
      registers: [registry],
      collect() {
        const dropped = read().dropped;
        if (dropped > counted) this.inc(dropped - counted);
        counted = dropped;
      },
    });
  }
  const tunnels = new Counter({ name: 'causeway_tunnels_total', help: 'Tunnel requests by result.', labelNames: ['result'], registers: [registry] });
  const bytes = new Counter({ name: 'causeway_tunnel_bytes_total', help: 'Bytes relayed by closed tunnels, by direction (up = client to target).', labelNames: ['direction'], registers: [registry] });
  const dial = new Histogram({ name: 'causeway_dial_duration_seconds', help: 'Time from a tunnel request to the dial answer, whatever the answer.', buckets: DIAL_BUCKETS, registers: [registry] });
  const issued = new Counter({ name: 'causeway_certificates_issued_total', help: 'Leaf certificates issued, by role.', labelNames: ['role'], registers: [registry] });
  const denies = new Counter({ name: 'causeway_denies_total', help: 'Denies by policy layer and rule.', labelNames: ['layer', 'reason'], registers: [registry] });
  const unauthorized = new Counter({ name: 'causeway_unauthorized_total', help: 'Refused authentication or disabled identities, by reason.', labelNames: ['reason'], registers: [registry] });
  const records = new Counter({ name: 'causeway_audit_records_total', help: 'Audit records written, by type.', labelNames: ['type'], registers: [registry] });

  const onRecord = (message: unknown): void => {
    const record = message as AuditRecord;
    if (record.emitter !== program) return;
    records.inc({ type: record.type });
    switch (record.type) {
      case 'tunnel.opened':
        tunnels.inc({ result: 'ok' });
        if (record.dialMs !== undefined) dial.observe(record.dialMs / 1000);
        return;
      case 'tunnel.closed':
        bytes.inc({ direction: 'up' }, record.bytesUp);
        bytes.inc({ direction: 'down' }, record.bytesDown);
        return;
      case 'dial.failed': {
        const result = resultLabel(record.result);
        tunnels.inc({ result });
        if (record.dialMs !== undefined) dial.observe(record.dialMs / 1000);
        return;
      }
      case 'certificate.issued':
        issued.inc({ role: ['agent', 'client', 'server'].includes(record.role) ? record.role : 'other' });
        return;
      case 'token.rejected':
        unauthorized.inc({ reason: unauthorizedReasonLabel(record.code) });
        return;
      case 'deny': {
        const reason = denyRuleLabel(record.rule);
        denies.inc({ layer: record.layer, reason });
        if (record.layer === 'authn' || record.layer === 'identity') unauthorized.inc({ reason });
        // A live tunnel ended by policy was already counted when it opened.
        if (record.rule !== 'identity:disabled-live' && (record.target !== undefined || record.layer !== 'authn')) tunnels.inc({ result: 'denied' });
        return;
      }
      default:
        return;
    }
  };
  diagnostics_channel.subscribe(AUDIT_CHANNEL, onRecord);

  // The client keeps no audit log; its front ends publish tunnel outcomes on their own channel.
  let clientActive = 0;
  const onClientTunnel = (message: unknown): void => {
    const m = message as ClientTunnelMessage;
    if (m.event === 'opened') {
      clientActive++;
      tunnels.inc({ result: 'ok' });
      dial.observe(m.setupMs / 1000);
    } else if (m.event === 'refused') {
      const result = resultLabel(m.failure);
      tunnels.inc({ result });
      dial.observe(m.setupMs / 1000);
    } else {
      clientActive = Math.max(0, clientActive - 1);
    }
  };
  if (program === 'client') {
    diagnostics_channel.subscribe(CLIENT_TUNNEL_CHANNEL, onClientTunnel);
    new Gauge({ name: 'causeway_tunnels_active', help: 'Tunnels open now.', registers: [registry], collect() { this.set(clientActive); } });
  }

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      diagnostics_channel.unsubscribe(AUDIT_CHANNEL, onRecord);
      if (program === 'client') diagnostics_channel.unsubscribe(CLIENT_TUNNEL_CHANNEL, onClientTunnel);
      registry.clear();
    },
  };
}

import diagnostics_channel from 'node:diagnostics_channel';

/** The client's front ends publish each tunnel's outcome here (the client keeps no audit log). */
export const CLIENT_TUNNEL_CHANNEL = 'causeway:client:tunnel';

export type ClientTunnelMessage =
  | { event: 'opened'; setupMs: number }
  | { event: 'refused'; failure: string; setupMs: number }
  | { event: 'closed' };

export const clientTunnelChannel = diagnostics_channel.channel(CLIENT_TUNNEL_CHANNEL);

/** Publishes one tunnel outcome; a no-op without subscribers. */
export function publishClientTunnel(message: ClientTunnelMessage): void {
  if (clientTunnelChannel.hasSubscribers) clientTunnelChannel.publish(message);
}

import { startDelayLine, tcpDial, type Scenario } from '../scenario.js';

/** Plain TCP from the load generator to the target: the baseline every other row is divided by. */
export async function startDirect(targetPort: number): Promise<Scenario> {
  const delay = await startDelayLine(targetPort);
  return {
    name: 'direct',
    dial: tcpDial(targetPort),
    dialDelayed: tcpDial(delay.port),
    processes: {},
    stop: () => delay.stop(),
  };
}

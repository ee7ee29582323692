import { z } from 'zod';
import { parseDestinationPattern } from '../policy/destination.js';
import { isIdentityPattern } from '../policy/identity-pattern.js';
import { expecting } from './describe-value.js';

const IDENTITY = 'an identity or "*" pattern, like "ci@clients.acme.causeway" or "*@clients.acme.causeway"';
const DESTINATION = 'a destination like "gitlab.internal.acme.net:443", "*.acme.net:443" or "host:*"';

const identityPatternSchema = z.string({ error: expecting(IDENTITY) }).refine(isIdentityPattern, { error: expecting(IDENTITY) });

const destinationSchema = z
  .string({ error: expecting(DESTINATION) })
  .refine((text) => parseDestinationPattern(text) !== undefined, { error: expecting(DESTINATION) });

/**
 * One server ACL rule: which clients may use which agents, optionally only for some destinations
 * (omitted = any destination the agent allows). Matches {@link AclRule} from `policy/acl`.
 */
export const aclRuleSchema = z.strictObject({
  clients: z.array(identityPatternSchema, { error: expecting('a list of client identities') }).min(1, { error: 'expected at least one client identity or pattern' }),
  agents: z.array(identityPatternSchema, { error: expecting('a list of agent identities') }).min(1, { error: 'expected at least one agent identity or pattern' }),
  destinations: z
    .array(destinationSchema, { error: expecting('a list of destinations') })
    .min(1, { error: 'expected at least one destination; omit the key to allow any' })
    .optional(),
});

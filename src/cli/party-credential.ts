import type { JWK } from 'jose';
import { formatAddress } from '../config/address.js';
import type { Credential } from '../config/credential.js';
import type { PartyCredential } from '../identity/obtain-certificate.js';

/** Turns a validated credential file into what the identity code needs. */
export function toPartyCredential(credential: Credential): PartyCredential {
  return {
    identity: credential.identity,
    keyId: credential.keyId,
    privateKey: JSON.parse(JSON.stringify(credential.privateKey)) as JWK,
    server: formatAddress(credential.server),
    serverName: credential.serverName,
    audience: credential.audience,
    caBundle: credential.caBundle,
  };
}

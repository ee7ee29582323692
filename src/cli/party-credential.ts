import type { JWK } from 'jose';
import { formatAddress } from '../config/address.js';
import type { Credential } from '../config/credential.js';
import type { WorkloadCredential } from '../config/workload-credential.js';
import type { PartyCredential } from '../identity/obtain-certificate.js';

/** A client that proves itself with a platform workload token instead of a key. */
export function workloadPartyCredential(credential: WorkloadCredential): PartyCredential {
  return {
    identity: 'workload',
    keyId: '',
    privateKey: {},
    workloadTokenFile: credential.tokenFile,
    server: formatAddress(credential.server),
    serverName: credential.serverName,
    audience: '',
    caBundle: credential.caBundle,
  };
}

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

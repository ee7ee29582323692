import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

/**
 * `@peculiar/x509`, bound to Node's WebCrypto. Import it from here, never from the package
 * directly, so the crypto provider is set before first use.
 */
export { x509 };

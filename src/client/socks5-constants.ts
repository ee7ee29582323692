/** Protocol numbers of SOCKS version 5 (RFC 1928) and its username/password method (RFC 1929). */
export const SOCKS_VERSION = 0x05;
export const SOCKS4_VERSION = 0x04;
export const RSV = 0x00;

export const SocksMethod = {
  NO_AUTH: 0x00,
  USERNAME_PASSWORD: 0x02,
  NO_ACCEPTABLE: 0xff,
} as const;

export const SocksCommand = {
  CONNECT: 0x01,
  BIND: 0x02,
  UDP_ASSOCIATE: 0x03,
} as const;

export const SocksAddressType = {
  IPV4: 0x01,
  DOMAIN: 0x03,
  IPV6: 0x04,
} as const;

export const SocksReply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
} as const;
export type SocksReplyCode = (typeof SocksReply)[keyof typeof SocksReply];

/** RFC 1929: the sub-negotiation's own version byte and status. */
export const USERPASS_VERSION = 0x01;
export const UserPassStatus = { SUCCESS: 0x00, FAILURE: 0x01 } as const;

/** SOCKS4 "request rejected or failed": the answer a version-4 client understands. */
export const SOCKS4_REPLY_VERSION = 0x00;
export const SOCKS4_REJECTED = 0x5b;

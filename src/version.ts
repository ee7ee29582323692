/** The release version, reported by agents in their hello and by `causeway --version`. */
export const VERSION = '0.1.0';

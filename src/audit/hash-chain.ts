import { createHash } from 'node:crypto';

/** The hash before the first record ever written. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The hash of one stored record: sha256 over its sequence number, the previous record's hash and its
 * canonical body, so a change of any of them, or of the order, changes every later hash.
 */
export function chainHash(seq: number, prevHash: string, body: string): string {
  return createHash('sha256').update(`${seq}\n${prevHash}\n${body}`).digest('hex');
}

export interface ChainRow {
  seq: number;
  body: string;
  prevHash: string;
  hash: string;
}

/** Where verification starts: the oldest kept record's sequence number and the hash it must follow. */
export interface ChainAnchor {
  seq: number;
  prevHash: string;
}

export type ChainProblem =
  | { kind: 'modified'; seq: number; detail: string }
  | { kind: 'deleted'; seq: number; detail: string }
  | { kind: 'inserted'; seq: number; detail: string };

export interface ChainReport {
  ok: boolean;
  checked: number;
  problem?: ChainProblem;
}

/**
 * Walks rows in sequence order from the anchor and reports the first record that was modified,
 * inserted or deleted. Retention pruning moves the anchor to the oldest kept record, so a pruned
 * chain still verifies; a deletion anywhere else leaves a gap or a broken link.
 */
export function verifyChain(rows: Iterable<ChainRow>, anchor: ChainAnchor): ChainReport {
  let expectedSeq = anchor.seq;
  let prevHash = anchor.prevHash;
  let checked = 0;
  for (const row of rows) {
    if (row.seq > expectedSeq) {
      return fail(checked, { kind: 'deleted', seq: expectedSeq, detail: `record ${expectedSeq} is missing (next kept record is ${row.seq})` });
    }
    if (row.seq < expectedSeq) {
      return fail(checked, { kind: 'inserted', seq: row.seq, detail: `record ${row.seq} is out of sequence (expected ${expectedSeq})` });
    }
    if (row.prevHash !== prevHash) {
      return fail(checked, { kind: 'inserted', seq: row.seq, detail: `record ${row.seq} does not follow record ${row.seq - 1}` });
    }
    if (chainHash(row.seq, row.prevHash, row.body) !== row.hash) {
      return fail(checked, { kind: 'modified', seq: row.seq, detail: `record ${row.seq} was modified after it was written` });
    }
    prevHash = row.hash;
    expectedSeq++;
    checked++;
  }
  return { ok: true, checked };
}

function fail(checked: number, problem: ChainProblem): ChainReport {
  return { ok: false, checked, problem };
}

import type { IncomingMessage } from 'node:http';
import { newId } from '../ids';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a sane inbound `x-request-id` (a proxy's or a client's); otherwise makes a new one. */
export function genReqId(req: IncomingMessage): string {
  const inbound = req.headers['x-request-id'];
  return typeof inbound === 'string' && SANE.test(inbound) ? inbound : newId();
}

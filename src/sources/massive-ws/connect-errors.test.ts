import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectFailureReporter, describeConnectError } from './connect-errors.js';

const errno = (message: string, code: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), { code, ...extra });

test('connection errors are named in words, the errno kept', () => {
  assert.equal(describeConnectError(errno('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED')), 'connection refused (ECONNREFUSED 127.0.0.1:9)');
  assert.equal(describeConnectError(errno('getaddrinfo ENOTFOUND feed.example', 'ENOTFOUND', { hostname: 'feed.example' })), 'DNS lookup of feed.example failed (ENOTFOUND)');
  assert.equal(describeConnectError(errno('getaddrinfo EAI_AGAIN feed.example', 'EAI_AGAIN', { hostname: 'feed.example' })), 'DNS lookup of feed.example failed (EAI_AGAIN: temporary failure)');
  assert.equal(describeConnectError(errno('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')), 'TLS error: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)');
  assert.equal(describeConnectError(errno('write EPROTO 807C:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/ssl/record/ssl3_record.c:350:\n', 'EPROTO')),
    'TLS error: wrong version number (EPROTO)');
  assert.equal(describeConnectError(new Error('Unexpected server response: 401')), 'HTTP 401 Unauthorized on the WebSocket upgrade (expected 101)');
  assert.equal(describeConnectError(new Error('Unexpected server response: 418')), 'HTTP 418 on the WebSocket upgrade (expected 101)');
  assert.equal(describeConnectError(new Error('Opening handshake has timed out')), 'the WebSocket handshake timed out');
  assert.equal(describeConnectError(errno('read ECONNRESET', 'ECONNRESET')), 'connection reset by the server (ECONNRESET)');
  assert.equal(describeConnectError(errno('something odd', 'EWEIRD')), 'something odd (EWEIRD)');
  assert.equal(describeConnectError('plain'), 'plain');
});

test('failed attempts: the first is reported at once, then at most one line per interval counting the ones held back', () => {
  const r = new ConnectFailureReporter('ws://h/stocks', 10_000);
  const cause = 'connection refused (ECONNREFUSED 127.0.0.1:9)';
  assert.equal(r.failed(0, 1, cause, 250)?.message, `ws://h/stocks: connection attempt 1 failed: ${cause}; retrying in 250 ms`);
  assert.equal(r.failed(300, 2, cause, 500), undefined);
  assert.equal(r.failed(900, 3, cause, 1000), undefined);
  assert.equal(r.failed(9_999, 4, cause, 2000), undefined);
  assert.equal(r.failed(10_000, 5, cause, 4000)?.message,
    `ws://h/stocks: connection attempt 5 failed: ${cause}; retrying in 4.0 s; 3 more failed attempt(s) since the last report`);
  assert.equal(r.failed(12_000, 6, cause, 8000), undefined);
  assert.equal(r.recovered()?.message, 'ws://h/stocks: 1 more failed attempt(s) before connecting');
  assert.equal(r.recovered(), undefined);
  // After a recovery the next failure is reported at once again.
  assert.match(r.failed(13_000, 1, cause, 250)!.message, /connection attempt 1 failed/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, parseListenAddress } from './listen.js';

test('listen addresses', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9090'), { host: '127.0.0.1', port: 9090 });
  assert.deepEqual(parseListenAddress('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListenAddress('localhost:9464'), { host: 'localhost', port: 9464 });
  assert.equal(parseListenAddress('0'), undefined);
  for (const bad of ['9090', ':9090', '127.0.0.1', '127.0.0.1:70000', '::1:9090', 'host name:1', '']) {
    assert.throws(() => parseListenAddress(bad), RangeError, bad);
  }
});

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '128.0.0.1']) assert.equal(isLoopbackHost(h), false, h);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoSuchKey, NotFound, S3ServiceException } from '@aws-sdk/client-s3';
import { SourceError } from '../util/errors.js';
import { classifyS3Error, httpStatusOf, isRetryableSourceError } from './s3-errors.js';

const KEY = 'us_options_opra/quotes_v1/2025/03/2025-03-14.csv.gz';

/** An SDK exception as the client throws it for a response with this status and S3 code. */
function serviceError(status: number, name: string, message = name): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message });
}

function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyS3Error', () => {
  it('maps missing objects to not_found, naming the key', () => {
    for (const error of [
      new NoSuchKey({ $metadata: { httpStatusCode: 404 }, message: 'The specified key does not exist.' }),
      new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'NotFound' }),
      serviceError(404, 'Unknown'),
    ]) {
      const classified = classifyS3Error(error, { key: KEY });
      assert.equal(classified.code, 'not_found');
      assert.ok(classified.message.includes(KEY), classified.message);
      assert.equal(classified.context['status'], 404);
      assert.equal(classified.cause, error);
    }
  });

  it('names the bucket when the bucket is missing', () => {
    const classified = classifyS3Error(serviceError(404, 'NoSuchBucket'), { key: KEY, bucket: 'flatfiles' });
    assert.equal(classified.code, 'not_found');
    assert.match(classified.message, /no bucket flatfiles/);
  });

  it('maps a bare 403 to access_denied with the subscription hint and no bogus S3 code', () => {
    const classified = classifyS3Error(serviceError(403, 'Unknown', 'UnknownError'), { key: KEY });
    assert.equal(classified.code, 'access_denied');
    assert.ok(classified.message.includes(KEY));
    assert.match(classified.message, /subscription may not include this dataset/);
    assert.equal(classified.context['s3Code'], undefined);
    assert.equal(classifyS3Error(serviceError(403, 'AccessDenied'), { key: KEY }).context['s3Code'], 'AccessDenied');
  });

  it("maps 412 PreconditionFailed to 'changed'", () => {
    assert.equal(classifyS3Error(serviceError(412, 'PreconditionFailed'), { key: KEY }).code, 'changed');
  });

  it('treats throttling, 5xx and timeouts as retryable network errors with the status', () => {
    const cases: Array<[unknown, string]> = [
      [serviceError(503, 'SlowDown', 'Please reduce your request rate.'), '503 SlowDown'],
      [serviceError(500, 'InternalError'), '500 InternalError'],
      [serviceError(502, 'Unknown'), '502'],
      [serviceError(400, 'RequestTimeout'), '400 RequestTimeout'],
    ];
    for (const [error, label] of cases) {
      const classified = classifyS3Error(error, { key: KEY });
      assert.equal(classified.code, 'network', classified.message);
      assert.ok(classified.message.includes(`(${label})`), classified.message);
      assert.ok(isRetryableSourceError(classified));
    }
  });

  it('treats socket failures as retryable network errors', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']) {
      const classified = classifyS3Error(socketError(code, 'aborted'), { key: KEY });
      assert.equal(classified.code, 'network');
      assert.equal(classified.context['socketCode'], code);
      assert.ok(isRetryableSourceError(classified));
    }
  });

  it('leaves other failures as non-retryable source errors with the HTTP status', () => {
    const badRequest = classifyS3Error(serviceError(400, 'InvalidArgument', 'bad header'), { key: KEY });
    assert.equal(badRequest.code, 'source');
    assert.match(badRequest.message, /HTTP 400: InvalidArgument: bad header/);
    assert.ok(!isRetryableSourceError(badRequest));
    const strange = classifyS3Error('something odd');
    assert.equal(strange.code, 'source');
    assert.match(strange.message, /something odd/);
  });

  it('passes SourceErrors through unchanged', () => {
    const original = new SourceError('changed', 'replaced');
    assert.equal(classifyS3Error(original, { key: KEY }), original);
  });

  it('reads the HTTP status only from SDK metadata', () => {
    assert.equal(httpStatusOf(serviceError(503, 'SlowDown')), 503);
    assert.equal(httpStatusOf(socketError('ECONNRESET', 'x')), undefined);
    assert.equal(httpStatusOf(null), undefined);
  });
});

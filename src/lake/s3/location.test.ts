import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultConfig } from '../../config/schema.js';
import { LakePathError } from '../../util/errors.js';
import { lakeKey, parseS3LakeUrl, partitionKeyPrefix, partitionLockKey, remotePartName, s3LakeCacheDir, s3LakeClientSettings } from './location.js';

const storage = defaultConfig().storage;

test('s3://bucket/prefix is parsed and normalized; bad buckets and prefixes are errors naming the origin', () => {
  assert.deepEqual(parseS3LakeUrl('s3://research-lake/gammaflow/v1/'), { bucket: 'research-lake', prefix: 'gammaflow/v1', url: 's3://research-lake/gammaflow/v1' });
  assert.deepEqual(parseS3LakeUrl('s3://lake'), { bucket: 'lake', prefix: '', url: 's3://lake' });
  assert.throws(() => parseS3LakeUrl('s3://'), (e: unknown) => e instanceof LakePathError && /--lake s3:\/\/: expected s3:\/\/bucket\/prefix/.test(e.message));
  assert.throws(() => parseS3LakeUrl('s3://Bad_Bucket/x', 'storage.lake'), /^LakePathError: storage.lake s3:\/\/Bad_Bucket\/x/);
  assert.throws(() => parseS3LakeUrl('s3://lake/a/../b'), /'\.\.' segments/);
  assert.throws(() => parseS3LakeUrl('s3://lake/a//b'), /empty/);
});

test('keys of partitions, locks and parts', () => {
  const loc = parseS3LakeUrl('s3://lake/p/q');
  assert.equal(lakeKey(loc, 'stocks-trades/date=2025-11-07/_manifest.json'), 'p/q/stocks-trades/date=2025-11-07/_manifest.json');
  assert.equal(lakeKey(parseS3LakeUrl('s3://lake'), 'x'), 'x');
  assert.equal(partitionKeyPrefix(loc, 'options-greeks/symbol=SPY', '2025-11-07'), 'p/q/options-greeks/symbol=SPY/date=2025-11-07/');
  assert.equal(partitionLockKey(loc, 'stocks-trades', '2025-11-07'), 'p/q/_locks/stocks-trades/date=2025-11-07.json');
  assert.equal(remotePartName('mxe0-a1b2c3', 7), 'part-mxe0-a1b2c3-00007.parquet');
});

test('client settings: the environment over [storage]; both keys or neither; the SDK chain when neither', () => {
  const configured = { ...storage, endpoint: 'http://minio:9000', access_key_id: 'AK', secret_access_key: 'SK', force_path_style: true };
  assert.deepEqual(s3LakeClientSettings(configured, {}), {
    endpoint: 'http://minio:9000', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
  });
  assert.deepEqual(s3LakeClientSettings(configured, {
    GAMMAFLOW_LAKE_S3_ENDPOINT: 'http://other:9000', GAMMAFLOW_LAKE_S3_REGION: 'eu-west-1', GAMMAFLOW_LAKE_S3_FORCE_PATH_STYLE: 'false',
    GAMMAFLOW_LAKE_S3_ACCESS_KEY_ID: 'AK2', GAMMAFLOW_LAKE_S3_SECRET_ACCESS_KEY: 'SK2',
  }), { endpoint: 'http://other:9000', region: 'eu-west-1', forcePathStyle: false, credentials: { accessKeyId: 'AK2', secretAccessKey: 'SK2' } });
  assert.deepEqual(s3LakeClientSettings(storage, { AWS_REGION: 'us-west-2', MASSIVE_S3_ACCESS_KEY_ID: 'massive' }), { region: 'us-west-2', forcePathStyle: false });
  assert.throws(() => s3LakeClientSettings({ ...storage, access_key_id: 'AK' }, {}), /only half of its key pair: set storage.secret_access_key/);
  assert.throws(() => s3LakeClientSettings(storage, { GAMMAFLOW_LAKE_S3_FORCE_PATH_STYLE: 'yes' }), /expected true or false/);
});

test('the cache directory: cache_dir, else XDG_CACHE_HOME, else ~/.cache; then bucket and prefix', () => {
  const loc = parseS3LakeUrl('s3://lake/p/q');
  assert.equal(s3LakeCacheDir(loc, { ...storage, cache_dir: '/var/cache/gf' }, {}), join('/var/cache/gf', 'lake', 'p', 'q'));
  assert.equal(s3LakeCacheDir(loc, storage, { XDG_CACHE_HOME: '/xdg' }), join('/xdg', 'gammaflow', 'lake', 'lake', 'p', 'q'));
  assert.match(s3LakeCacheDir(parseS3LakeUrl('s3://lake'), storage, {}), /\.cache\/gammaflow\/lake\/lake$/);
});

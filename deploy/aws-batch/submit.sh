#!/bin/sh
# Registers the job definition and submits a year of history as an array job of 50 children (docs/scale-out.md).
# Child i gets AWS_BATCH_JOB_ARRAY_INDEX=i from Batch and ingests shard i of 50 (--shard-from-env --shards 50):
# arrayProperties.size in submit-job.json must equal the "shards" parameter.
# Needs: the image pushed to ECR (Dockerfile at the repository root), the Secrets Manager secret
# massive-flat-files (access_key_id, secret_access_key), a job role that may write the lake bucket (the lake
# uses the standard AWS credential chain when GAMMAFLOW_LAKE_S3_ACCESS_KEY_ID is not set), and a job queue.
set -eu
here=$(dirname "$0")
aws batch register-job-definition --cli-input-json "file://$here/job-definition.json"
aws batch submit-job --cli-input-json "file://$here/submit-job.json"
# Progress: aws batch describe-jobs --jobs <jobId>  (arrayProperties.statusSummary), logs in CloudWatch (JSON lines).
# A failed child is retried alone (retryStrategy). Rerunning shard 7 by hand, as a single job (Batch reserves the
# AWS_BATCH_ variables, so the shard is given on the command line instead):
#   aws batch submit-job --job-name gammaflow-shard-7 --job-queue research-spot --job-definition gammaflow-backfill \
#     --container-overrides '{"command":["ingest","--dataset","options-quotes,options-trades,stocks-trades","--from","2025-01-02",
#       "--to","2025-12-31","--lake","s3://research-lake/gammaflow","--shard","7/50","--no-tui","--json"]}'

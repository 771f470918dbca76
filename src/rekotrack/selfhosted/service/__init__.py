"""The service around the vision pipeline: job stores and records, workers, Celery and Redis scale-out, S3
results, SigV4, the Rekognition front and the ``rekotrack serve/worker/render`` commands."""

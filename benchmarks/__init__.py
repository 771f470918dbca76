"""Benchmarks of rekotrack against raw boto3 (``python -m benchmarks [--quick]``)."""

"""The synthetic Rekognition Video service: deterministic scenes and jobs, fault injection, the local server.

Production code (``rekotrack serve`` without ``--analyzer video``, the self-hosted ``--analyzer synthetic``
workers) imports it from here; :mod:`rekotrack.testing` re-exports its public names for tests and demos.
"""

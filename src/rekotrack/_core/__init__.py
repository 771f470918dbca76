"""The sans-IO core: every decision the SDK makes, with no boto, no asyncio and no threads.

- :mod:`._constants`: defaults, the user agent and the "botocore retries off" config, once.
- :mod:`._operation`: :class:`VideoOperation`, the data that describes one Start/Get video job.
- :mod:`._requests`: Start and Get parameters built and checked from an operation and its constraint table.
- :mod:`._pages`: integrity of Start and Get responses.
- :mod:`._cursor`: pagination state, resume tokens and the pager's state.
- :mod:`._wait`: the wait plan and the wait procedures (poll, queue).
- :mod:`._queue`: what a completion queue holds, and its per-message decisions.
- :mod:`._sqs`: SNS/SQS calls as data and the create/close procedures.
- :mod:`._batch`: batch slots and the procedure that follows one job of a batch.
- :mod:`._procedure`: the procedure type and its two drivers (:func:`drive`, :func:`adrive`).
- :mod:`._classify`: which errors are retried, and how.

A *procedure* is a generator that yields the I/O requests it needs (``Status``,
``Sleep``, ``Listen``, ``SqsCall`` ...), is sent each result and has each error thrown
in. The shells (``rekotrack._aio`` and the generated ``rekotrack._sync``) answer them.
"""

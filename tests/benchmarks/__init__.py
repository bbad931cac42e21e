"""Benchmarks of the text-message path (``make bench``; not part of the default test run).

``python -m tests.benchmarks`` measures, on the same PostgreSQL and Redis in one run:

* **financy** — the real ``financy edge run`` and ``financy core ingest`` processes, driven
  through ``POST /devchat/messages`` with ``wait`` (send -> recorded -> reply);
* **raw** — the same round trip built from the raw libraries only (client ``XADD``; a worker
  ``XREADGROUP`` -> one-row ``INSERT`` with psycopg -> ``XACK`` -> ``XADD`` reply; the client
  waits for its reply),

at 1, 10 and 100 concurrent chats, and prints throughput and p50/p99 latency side by side
with the issue's targets. Figures also go to ``var/bench/last.json``.
"""

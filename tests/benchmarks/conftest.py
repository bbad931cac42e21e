"""Keep pytest out of the benchmarks: they run with ``make bench``, never in the test run."""

collect_ignore_glob = ["*.py"]

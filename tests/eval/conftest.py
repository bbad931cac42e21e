"""Keep pytest out of the evaluation: it runs with ``make eval``, never in the test run."""

collect_ignore_glob = ["*.py"]

"""`registry serve`: the supervisor and its workers, listeners, the per-process composition
root (runtime, suite), health, metrics and logs."""

"""A run's state, the one vocabulary for the store, `status`, the tables and the sentences.

done and diverged are finished results (never retrained); failed is retried by the next build.
missing, stale (stored, but for another config or code) and corrupt (fails its checksum) are
what `status` says of a planned run that has no current result.
"""
DONE, DIVERGED, FAILED = "done", "diverged", "failed"
FINISHED = (DONE, DIVERGED)
MISSING, STALE, CORRUPT = "missing", "stale", "corrupt"

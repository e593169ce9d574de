"""Template context for each section: pure functions of stored results, plus their figures."""

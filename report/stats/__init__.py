"""Pure numbers and words: statistics over seeds, per-configuration summaries, the claims the
report prints. No TensorFlow, no matplotlib, no file I/O (tests/test_layers.py keeps it so)."""

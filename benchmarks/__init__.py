"""`python -m benchmarks`: mkreport's training path against bare Keras and the machine's peak."""

"""Running the training: here, in worker processes or on Ray; devices and threads; the plan and its
time estimate; the console's progress lines; TensorFlow's own log lines."""

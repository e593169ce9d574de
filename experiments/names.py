"""The names a run's params may use, without importing Keras: the config validates against these and
experiments/models.py builds from them."""

from .network import NETWORK_KEYS

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adagrad", "rmsprop")
TAKES_MOMENTUM = ("momentum", "nesterov", "rmsprop")   # the optimizers a momentum value applies to
CELLS = ("rnn", "lstm", "gru")

# Every key a run's params may hold: each is read by the model or the training (experiments/models.py,
# experiments/training.py). A key nothing reads would be hashed into the run's key and ignored.
RUN_PARAMS = frozenset({"model", "optimizer", "momentum", "learning_rate", "epochs", "batch_size",
                        "samples_per_epoch", "test_samples", "curve_test_samples", "log_every_steps", "precision",
                        "cell", "hidden_size", "input_shape", "cpu_kernels", *NETWORK_KEYS})

"""The names a run's params may use, without importing Keras: the config validates against these and
experiments/models.py builds from them."""

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adam", "adagrad", "rmsprop")
TAKES_MOMENTUM = ("momentum", "nesterov", "rmsprop")   # the optimizers a momentum value applies to
CELLS = ("rnn", "lstm", "gru")

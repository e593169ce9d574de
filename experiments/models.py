"""The assignment's networks, built from plain settings; no files, no training."""
from __future__ import annotations

import keras
from keras import layers

from .data import NUM_CLASSES
from .network import DEFAULT_INPUT, DEFAULT_NETWORK, KERNEL, POOL, feature_sides, input_shape, network_of

RNN_CELLS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def build_lenet5(network: dict | None = None, shape=tuple(DEFAULT_INPUT)) -> keras.Model:
    """For each conv_filters entry conv 5×5 → max-pool 2×2; for each fc_units entry dense → dropout;
    then 10 logits (experiments/network.py). The default: conv 5×5/32 → pool → conv 5×5/64 → pool →
    fc 1024 → dropout 0.5 → fc 10, ReLU, same padding, on 28×28 grey images."""
    network = network or DEFAULT_NETWORK
    feature_sides(network, shape[0])   # ShapeError naming the layer, before Keras sees the shape
    activation = network["activation"]
    inputs = keras.Input(tuple(shape), name="image")
    x = inputs
    for index, filters in enumerate(network["conv_filters"], start=1):
        x = layers.Conv2D(filters, KERNEL, padding=network["padding"], activation=activation, name=f"conv{index}")(x)
        x = layers.MaxPooling2D(POOL, name=f"pool{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    for index, units in enumerate(network["fc_units"], start=1):
        x = layers.Dense(units, activation=activation, name=f"fc{index}")(x)
        if network["dropout"]:
            x = layers.Dropout(network["dropout"], name=f"dropout{index}")(x)
    logits = layers.Dense(NUM_CLASSES, name="logits", dtype="float32")(x)  # float32 logits under any policy
    return keras.Model(inputs, logits, name="lenet5")


def build_rnn(cell: str, hidden_size: int) -> keras.Model:
    """Each image read as 28 time steps of 28 pixels; the last hidden state → fc 10 (logits)."""
    inputs = keras.Input((28, 28), name="rows")
    x = RNN_CELLS[cell](hidden_size, name=cell)(inputs)
    logits = layers.Dense(NUM_CLASSES, name="logits", dtype="float32")(x)  # float32 logits under any policy
    return keras.Model(inputs, logits, name=f"{cell}{hidden_size}")


def build_model(params: dict, code: str | None = None) -> keras.Model:
    """LeNet5, an RNN, or — for a run of a user's own section (code: its module's file) — what the
    function of that module named by params["model"] builds from the params."""
    if params["model"] == "lenet5":
        return build_lenet5(network_of(params), input_shape(params))
    if params["model"] == "rnn":
        return build_rnn(params["cell"], params["hidden_size"])
    if code is None:
        raise ValueError(f"unknown model {params['model']!r}: not lenet5 or rnn, and no section module names it")
    from .own_code import function

    model = function(code, params["model"], "model builder")(params)
    if not isinstance(model, keras.Model):
        raise TypeError(f"{params['model']}() returned {type(model).__name__}, not a keras.Model")
    return model


def make_optimizer(name: str, learning_rate: float, momentum: float = 0.0) -> keras.optimizers.Optimizer:
    """sgd is plain gradient descent (no momentum, as the assignment's baseline); momentum is SGD with
    momentum, nesterov SGD with Nesterov momentum, rmsprop RMSProp with momentum (0: none)."""
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=learning_rate)
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum, nesterov=name == "nesterov")
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=learning_rate, momentum=momentum)
    return {"adam": keras.optimizers.Adam, "adagrad": keras.optimizers.Adagrad}[name](learning_rate=learning_rate)


"""The assignment's networks, built from plain settings; no files, no training."""
from __future__ import annotations

import keras
from keras import layers

from .sizes import LENET5_WIDTHS, NUM_CLASSES

RNN_CELLS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def build_lenet5(widths=LENET5_WIDTHS) -> keras.Model:
    """conv5×5/32 → pool → conv5×5/64 → pool → fc 1024 → dropout 0.5 → fc 10 (logits);
    widths = (conv1 maps, conv2 maps, fc units) narrows the same shape."""
    conv1, conv2, fc = widths
    inputs = keras.Input((28, 28, 1), name="image")
    x = layers.Conv2D(conv1, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(conv2, 5, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(fc, activation="relu", name="fc1")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    logits = layers.Dense(NUM_CLASSES, name="logits", dtype="float32")(x)  # float32 logits under any policy
    return keras.Model(inputs, logits, name="lenet5")


def build_rnn(cell: str, hidden_size: int) -> keras.Model:
    """Each image read as 28 time steps of 28 pixels; the last hidden state → fc 10 (logits)."""
    inputs = keras.Input((28, 28), name="rows")
    x = RNN_CELLS[cell](hidden_size, name=cell)(inputs)
    logits = layers.Dense(NUM_CLASSES, name="logits", dtype="float32")(x)  # float32 logits under any policy
    return keras.Model(inputs, logits, name=f"{cell}{hidden_size}")


def build_model(params: dict) -> keras.Model:
    if params["model"] == "lenet5":
        return build_lenet5(tuple(params.get("widths", LENET5_WIDTHS)))
    return build_rnn(params["cell"], params["hidden_size"])


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


"""keras-io's "Simple MNIST convnet" (https://keras.io/examples/vision/mnist_convnet/) as a section of the
report: the model as keras-io writes it — softmax head included — trained over seeds at two dropout rates,
with the tested claims of mkreport's own sections.

    mkreport all --config examples/keras-io-convnet/mkreport.toml --profile smoke
"""
from report.sections import kit

TITLE = "keras-io's simple MNIST convnet"
CONFIG = """
[mnist_convnet]
dropouts = [0.0, 0.5]      # the rate of keras-io's Dropout before the softmax
learning_rate = 0.001
epochs = 3
batch_size = 128
samples_per_epoch = 20000
test_samples = 10000
log_every_steps = 20
seeds = [0, 1, 2]

[profiles.quick.mnist_convnet]
epochs = 1
samples_per_epoch = 5000
test_samples = 2000
seeds = [0, 1]

[profiles.smoke.mnist_convnet]
epochs = 1
samples_per_epoch = 256
test_samples = 200
log_every_steps = 1
seeds = [0]
"""
CHECKS = {"dropouts": kit.listof(kit.number(0.0, 0.9)), "learning_rate": kit.number(1e-6, 1.0)}


def build_model(params):
    """keras-io's model, line for line (its input: MNIST's 28×28 grey images, scaled to [0, 1] by mkreport)."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(params["dropout"]),
        layers.Dense(10, activation="softmax"),
    ])


def runs(config):
    table = config["mnist_convnet"]
    grid = [(f"dropout {rate:g}", kit.train_params(table, model="build_model", dropout=rate, optimizer="adam",
                                                   learning_rate=table["learning_rate"]))
            for rate in table["dropouts"]]
    return kit.grid("mnist_convnet", grid, table["seeds"], "mnist")


def summarize(records, analysis, settings):
    return kit.summary(records["mnist_convnet"], what="dropout rate",
                       intro="keras-io's convnet (two 3×3 convolutions, max pooling, dropout, a softmax over 10), "
                             "trained with Adam at each dropout rate.")


def figures(summary):
    return kit.figures(summary)

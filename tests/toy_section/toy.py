"""A sixth section written outside mkreport: it trains a model of its own (a one-layer perceptron on
MNIST, built by build_model below) through mkreport's training path, and also reads the CNN grid."""
from report.sections import kit
from report.stats.summary import by_config

TITLE = "A toy section"
READS = ("cnn",)
CONFIG = """
[toy]
widths = [4, 8]            # hidden units of the perceptron
epochs = 1
batch_size = 64
samples_per_epoch = 128
test_samples = 100
log_every_steps = 1
seeds = [0]
"""
CHECKS = {"widths": kit.listof(kit.whole(1, 64))}


def build_model(params):
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    hidden = layers.Dense(params["width"], activation="relu")(layers.Flatten()(inputs))
    return keras.Model(inputs, layers.Dense(10)(hidden))


def runs(config):
    table = config["toy"]
    grid = [(f"width {w}", kit.train_params(table, model="build_model", width=w, optimizer="adam", learning_rate=1e-2))
            for w in table["widths"]]
    return kit.grid("toy", grid, table["seeds"], "mnist")


def summarize(records, analysis, settings):
    configs = by_config(records["cnn"])
    return {**kit.summary(records["toy"], what="width"), "configurations": len(configs), "runs": len(records["cnn"]),
            "accuracies": [c.final()[0] for c in configs]}


def figures(summary):
    from report.output import figures as draw

    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(3, 2))
    axis.bar(range(len(summary["accuracies"])), summary["accuracies"])
    return {"bars": draw.to_png(figure), **kit.figures(summary)}

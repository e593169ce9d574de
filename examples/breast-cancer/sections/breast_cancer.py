"""A binary classifier on scikit-learn's bundled breast-cancer table (569 tumours, 30 float features,
malignant 0 / benign 1): a small Keras MLP with a sigmoid output, at two hidden widths, over seeds.

The features are standardised with the training split's mean and sd (the loader does it: mkreport passes
float features to the model as they are). Chance is the share of the test set's most frequent class.

    mkreport all --config examples/breast-cancer/mkreport.toml --profile smoke
"""
from report.sections import kit

TITLE = "A breast-cancer classifier (binary, tabular)"
CONFIG = """
[breast_cancer]
widths = [4, 32]            # units of the MLP's hidden layer
learning_rate = 0.001
epochs = 30
batch_size = 32
samples_per_epoch = 455     # the whole training split each epoch
test_samples = 114
log_every_steps = 5
seeds = [0, 1, 2]

[profiles.quick.breast_cancer]
epochs = 10
seeds = [0, 1]

[profiles.smoke.breast_cancer]
epochs = 10
seeds = [0, 1]
"""
CHECKS = {"widths": kit.listof(kit.whole(1, 4096)), "learning_rate": kit.number(1e-6, 1.0)}


def breast_cancer(data_dir):
    """(x_train, y_train, x_test, y_test): a fixed 80/20 split, features standardised by the training split."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:455], order[455:]
    mean, sd = x[train].mean(0), x[train].std(0)
    scale = lambda rows: ((x[rows] - mean) / sd).astype("float32")   # noqa: E731
    return scale(train), y[train], scale(test), y[test]


def build_model(params):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(shape=(30,)), layers.Dense(params["width"], activation="relu"),
                             layers.Dense(1, activation="sigmoid")])


def runs(config):
    table = config["breast_cancer"]
    grid = [(f"width {width}", kit.train_params(table, model="build_model", width=width, optimizer="adam",
                                                learning_rate=table["learning_rate"], task=kit.task("binary")))
            for width in table["widths"]]
    return kit.grid("breast_cancer", grid, table["seeds"], "breast_cancer")


def summarize(records, analysis, settings):
    return kit.summary(records["breast_cancer"], what="width",
                       intro="A Keras MLP (one hidden ReLU layer, a sigmoid output) on the 30 standardised features "
                             "of scikit-learn's breast-cancer table, trained with Adam at each hidden width.")


def figures(summary):
    return kit.figures(summary)

"""A regression on scikit-learn's bundled diabetes table (442 patients, 10 float features, a disease
progression score one year later): a Keras MLP trained on mean squared error at two learning rates, ranked
by mean absolute error (lower is better).

    mkreport all --config examples/diabetes/mkreport.toml --profile smoke
"""
from report.sections import kit

TITLE = "A diabetes-progression regression"
CONFIG = """
[diabetes]
learning_rates = [0.01, 0.0001]
width = 32
epochs = 60
batch_size = 32
samples_per_epoch = 353     # the whole training split each epoch
test_samples = 89
log_every_steps = 5
seeds = [0, 1, 2]

[profiles.quick.diabetes]
epochs = 20
seeds = [0, 1]

[profiles.smoke.diabetes]
epochs = 20
seeds = [0, 1]
"""
CHECKS = {"learning_rates": kit.listof(kit.number(1e-6, 1.0)), "width": kit.whole(1, 4096)}


def diabetes(data_dir):
    """(x_train, y_train, x_test, y_test): a fixed 80/20 split; the features as scikit-learn gives them
    (already centred and scaled), the target in its own units."""
    import numpy as np
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:353], order[353:]
    return (x[train].astype("float32"), y[train].astype("float32"), x[test].astype("float32"),
            y[test].astype("float32"))


def build_model(params):
    import keras
    from keras import layers

    return keras.Sequential([keras.Input(shape=(10,)), layers.Dense(params["width"], activation="relu"),
                             layers.Dense(1)])


def runs(config):
    table = config["diabetes"]
    grid = [(f"lr {rate:g}", kit.train_params(table, model="build_model", width=table["width"], optimizer="adam",
                                              learning_rate=rate, task=kit.task("regression", metric="mae")))
            for rate in table["learning_rates"]]
    return kit.grid("diabetes", grid, table["seeds"], "diabetes")


def summarize(records, analysis, settings):
    return kit.summary(records["diabetes"], what="learning rate",
                       intro="A Keras MLP (one hidden ReLU layer of 32 units, one linear output) trained with Adam on "
                             "mean squared error; configurations are ranked by the test mean absolute error.")


def figures(summary):
    return kit.figures(summary)

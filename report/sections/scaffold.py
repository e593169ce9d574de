"""`mkreport new-section NAME`: a working section of the user's own, written into their folder —
a module that trains its own model through mkreport's training path, its template, and a config
that adds it to the report. It builds with `--profile smoke` as written."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ..errors import ConfigError

COMMANDS = ("all", "render", "check", "status", "plan", "tensorboard", "notes", "new-section")

MODULE = '''"""{title}: LeNet5 with and without dropout on CIFAR10, three seeds — a section of your own.

mkreport (docs/sections.md) finds it through `[report] sections` in {config} and gives it what its
own sections have: seeded runs keyed by this file's source, resume, --jobs and Ray, tested claims,
figures, TensorBoard, status, metrics.csv, claims.json, the PDF. Each part of the contract is marked ★.
"""
from report.sections import kit

# ★ The section's heading in the report.
TITLE = "{title}"

# ★ Its config table: the defaults, with comments. [{name}] in a config file overrides them key by key,
# checked as strictly as mkreport's own tables (an unknown key or a wrong type is one error, exit 2);
# [profiles.<profile>.{name}] sets its budgets (epochs, samples, seeds) for --profile.
CONFIG = """
[{name}]
dropout = [0.0, 0.5]       # the rates compared, after the dense layer
optimizer = "adam"
learning_rate = 1e-3
epochs = 5
batch_size = 64
samples_per_epoch = 10000  # the course subset's whole training split
test_samples = 1000
log_every_steps = 15
seeds = [0, 1, 2]

[profiles.quick.{name}]
epochs = 2
samples_per_epoch = 2000

[profiles.smoke.{name}]
epochs = 2
samples_per_epoch = 256
test_samples = 200
log_every_steps = 1
"""

# ★ Bounds where a default's type is not enough (every other key must have its default's type).
CHECKS = {{
    "dropout": kit.listof(kit.number(0, 0.95)),
    "optimizer": kit.choice("sgd", "adam", "adagrad", "rmsprop"),
    "learning_rate": kit.number(1e-6, 1.0),
    "epochs": kit.whole(1, 1000),
    "seeds": kit.listof(kit.whole(0)),
}}


# ★ The model: a function of this module that the runs name (params["model"]), building a keras.Model
# from a run's params. It reads images as (height, width, channels) in [0, 1] and returns 10 logits;
# mkreport compiles it with the run's optimizer and learning rate, and trains it.
def build_model(params):
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(32, 5, padding="same", activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(64, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dense(1024, activation="relu")(layers.Flatten()(x))
    x = layers.Dropout(params["dropout"])(x)
    return keras.Model(inputs, layers.Dense(10)(x))


# ★ The runs: one per configuration (a label and its params) and seed, on "cifar10", "mnist",
# "cifar10-rgb", or the name of a function of this module returning (x_train, y_train, x_test, y_test).
def runs(config):
    table = config["{name}"]
    grid = [(f"dropout {{rate:g}}", kit.train_params(table, model="build_model", dropout=rate,
                                                    optimizer=table["optimizer"], learning_rate=table["learning_rate"]))
            for rate in table["dropout"]]
    return kit.grid("{name}", grid, table["seeds"], "cifar10")


# ★ Numbers and sentences from the stored runs: kit.summary says which configuration is (or could be) the
# best beyond seed noise and which learned; add sentences of your own with kit.observation(text).
def summarize(records, analysis, settings):
    return kit.summary(records["{name}"], what="dropout rate",
                       intro="Does dropout after the dense layer change LeNet5's test accuracy on CIFAR10 at this budget?")


# ★ Figures as PNG bytes, drawn from the summary only (they are cached by it).
def figures(summary):
    return kit.figures(summary)
'''

TEMPLATE = '''{{# Your section's template: it sees the summary as d, the figures as fig, its number as n.
   Without this file the report uses mkreport's default (sections/own-default.html), which it includes here. #}}
<p>This section comes from <code>sections/{name}.py</code>, beside the config.</p>
{{% include "sections/own-default.html" %}}
'''

CONFIG_FILE = '''# A config that adds your section "{name}" to the report, after mkreport's five.
#   mkreport all --config {config} --profile smoke
#   mkreport {name} --config {config}          (this section only, and what it reads)

[report]
sections = ["cnn", "visualize", "deconvnet", "rnn", "compare", "{name}"]

[{name}]
# dropout = [0.0, 0.25, 0.5]   # any key of the section's CONFIG, in sections/{name}.py
'''


def check_name(name: str) -> None:
    """A section's name is its module's: a Python name that shadows nothing mkreport or Python has."""
    from . import BY_NAME

    if not name.isidentifier() or not name.islower():
        raise ConfigError(f"section name {name!r}: use lower-case letters, digits and _ (a Python module name)")
    if name in BY_NAME or name in COMMANDS:
        raise ConfigError(f"section name {name!r} is taken by mkreport (its sections: {', '.join(BY_NAME)}; "
                          f"its commands: {', '.join(COMMANDS)})")
    if name in sys.stdlib_module_names or importlib.util.find_spec(name) is not None:
        raise ConfigError(f"section name {name!r} is the name of an installed module; choose another")


def write_section(name: str, folder: Path) -> list[Path]:
    """sections/<name>.py, sections/templates/sections/<name>.html and mkreport.toml in folder; an
    existing file is never replaced (one error naming it, nothing written)."""
    check_name(name)
    folder = Path(folder)
    config = folder / "mkreport.toml"
    files = {folder / "sections" / f"{name}.py": MODULE,
             folder / "sections" / "templates" / "sections" / f"{name}.html": TEMPLATE,
             config: CONFIG_FILE}
    for path in files:
        if path.exists():
            raise ConfigError(f"{path} exists; new-section writes only new files (move it away, or use --dir)")
    title = name.replace("_", " ").capitalize()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(name=name, title=title, config=config.name), encoding="utf-8")
    return list(files)

"""Load the shipped defaults, apply a profile and a user's TOML file, and validate the result.

The config is a plain nested dict: ``config["cnn"]["epochs"]``. ``config["profile"]`` names the
profile it was built with.
"""
from __future__ import annotations

import copy
import math
import tomllib
from importlib import resources
from pathlib import Path

from experiments.names import CELLS, OPTIMIZERS  # no Keras import
from experiments.network import ACTIVATIONS, PADDINGS, ShapeError, alternatives, feature_sides

from .errors import ConfigError

PROFILES = ("full", "quick", "smoke")
PRECISIONS = ("float32", "bfloat16")
# Keys a profile may change: budgets, never which configurations form a grid.
BUDGET_KEYS = ("epochs", "samples_per_epoch", "test_samples", "curve_test_samples", "seeds", "log_every_steps")


def _text(value):
    return None if isinstance(value, str) else "a string"


def _whole(minimum):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"a whole number ≥ {minimum}"
        return None
    return check


def _positive_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "a number > 0"
    if not math.isfinite(value) or value <= 0:
        return "a finite number > 0"
    return None


def _fraction(value):
    if _positive_number(value) or value >= 1:
        return "a number between 0 and 1"
    return None


def _choice(allowed):
    def check(value):
        return None if value in allowed else "one of " + ", ".join(f'"{a}"' for a in allowed)
    return check


def _nonempty_list(item_check, what):
    """A list of distinct values, each passing item_check."""
    def check(value):
        if not isinstance(value, list) or not value:
            return f"a non-empty list of {what}"
        for item in value:
            if item_check(item):
                return f"a non-empty list of {what}"
        if len({repr(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else repr(v)
                for v in value}) != len(value):
            return f"a list of distinct {what} (a value is repeated)"
        return None
    return check


def _learning_rates(value):
    """Distinct rates that also print distinctly: a configuration's label (lr=0.001) names its runs,
    so two rates that print alike would share one label and one run id."""
    problem = _nonempty_list(_positive_number, "finite numbers > 0")(value)
    if problem:
        return problem
    from .results.runs import format_rate

    printed = {}
    for rate in value:
        if format_rate(rate) in printed:
            return (f"rates that print differently ({printed[format_rate(rate)]!r} and {rate!r} both print as "
                    f"lr={format_rate(rate)}: make them differ within six significant digits)")
        printed[format_rate(rate)] = rate
    return None


def _momentum(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        return "a number from 0 up to (not including) 1"
    return None


def _boolean(value):
    return None if isinstance(value, bool) else "true or false"


def _seed(value):
    from .stats.sequential import FIRST_ROUND_SEED

    problem = _whole(0)(value)
    if problem is None and value >= FIRST_ROUND_SEED:   # --resolve numbers the seeds it adds from there
        return f"a whole number from 0 to {FIRST_ROUND_SEED - 1} (seeds from {FIRST_ROUND_SEED} on are the ones --resolve adds)"
    return problem


def _budget(value):
    """[report] resolve: "" (off), "unlimited", or a time such as "90s", "30m", "2h"."""
    if not isinstance(value, str) or (value and parse_budget(value) is None):
        return 'a time budget for --resolve such as "30m", "90s" or "2h", "unlimited", or "" (off)'
    return None


def parse_budget(text: str) -> float | None:
    """Seconds of a budget ("30m" → 1800.0, "unlimited" → inf); None where it is not one."""
    import re

    if text.strip() == "unlimited":
        return float("inf")
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*", text)
    if not found:
        return None
    return float(found.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 60}[found.group(2)]


def _max_seeds(value):
    from .stats.sequential import MAX_SEEDS

    if _whole(2)(value) or value > MAX_SEEDS:
        return f"a whole number from 2 to {MAX_SEEDS} (the looks' levels are calibrated for up to {MAX_SEEDS} seeds)"
    return None


# ---------------------------------------------------------------- the network's settings, each a value or an axis

NETWORK_AXES = ("conv_filters", "fc_units", "activation", "padding", "dropout")   # every setting may be an axis
MAX_CONV_LAYERS, MAX_FC_LAYERS, MAX_WIDTH = 4, 4, 4096


def _widths(minimum_layers, maximum_layers, what):
    def check(value):
        if (not isinstance(value, list) or not minimum_layers <= len(value) <= maximum_layers
                or any(_whole(1)(v) or v > MAX_WIDTH for v in value)):
            return f"a list of {minimum_layers}–{maximum_layers} whole numbers from 1 to {MAX_WIDTH:,} ({what})"
        return None
    return check


def _dropout(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        return "a dropout rate from 0 up to (not including) 1"
    return None


NETWORK_CHECKS = {
    "conv_filters": _widths(1, MAX_CONV_LAYERS, "feature maps per conv layer"),
    "fc_units": _widths(0, MAX_FC_LAYERS, "units per hidden dense layer"),
    "activation": _choice(ACTIVATIONS),
    "padding": _choice(PADDINGS),
    "dropout": _dropout,
}


def _network_setting(key):
    def check(value):
        values = alternatives(key, value)
        for item in values:
            problem = NETWORK_CHECKS[key](item)
            if problem:
                return f"{problem}, or a list of such values (a grid axis)"
        if not values:
            return "a value or a non-empty list of values (a grid axis)"
        if len({repr(float(v)) if key == "dropout" else repr(v) for v in values}) != len(values):
            return "distinct values on an axis (a value is repeated)"
        return None
    return check


def _section_names(value):
    """[report] sections: module names, distinct (empty: mkreport's five and every installed section)."""
    if not isinstance(value, list) or any(not isinstance(v, str) or not v.replace(".", "_").isidentifier()
                                          for v in value):
        return "a list of section names (mkreport's, or importable module names such as \"dropout\")"
    if len(set(value)) != len(value):
        return "a list of distinct section names (a name is repeated)"
    return None


SCHEMA = {
    "report": {"title": _text, "author": _text, "course": _text, "date": _text,
               "notes_dir": _text, "templates_dir": _text, "claims_file": _text, "sections": _section_names,
               "resolve": _budget, "max_seeds": _max_seeds, "cpu_kernels": _choice(("auto", "onednn", "eigen", "default"))},
    "data": {
        "cifar10": _choice(("course", "rgb")),
        "train_per_class": _whole(0),
        "test_per_class": _whole(0),
    },
    "cnn": {
        **{key: _network_setting(key) for key in NETWORK_AXES},
        "optimizers": _nonempty_list(_choice(OPTIMIZERS), "optimizers (" + ", ".join(OPTIMIZERS) + ")"),
        "learning_rates": _learning_rates,
        "momentum": _nonempty_list(_momentum, "momentum values from 0 up to (not including) 1"),
        "epochs": _whole(1),
        "batch_size": _whole(1),
        "samples_per_epoch": _whole(1),
        "test_samples": _whole(1),
        "seeds": _nonempty_list(_seed, "whole numbers from 0 to 999 (from 1000 on are the seeds --resolve adds)"),
        "log_every_steps": _whole(1),
        "precision": _choice(PRECISIONS),
    },
    "visualize": {
        "images_per_class": _whole(1),
        "feature_maps_shown": _whole(1),
        "conv2_filters_shown": _whole(1),
    },
    "deconvnet": {
        "feature_maps": _whole(1),
        "top_images": _whole(1),
        "occlusion_images": _whole(1),
        "occlusion_patch": _whole(1),
        "evolution_maps": _whole(1),
    },
    "rnn": {
        "cells": _nonempty_list(_choice(CELLS), "cells (" + ", ".join(CELLS) + ")"),
        "hidden_sizes": _nonempty_list(_whole(1), "whole numbers ≥ 1"),
        "optimizers": _nonempty_list(_choice(OPTIMIZERS), "optimizers (" + ", ".join(OPTIMIZERS) + ")"),
        "learning_rates": _learning_rates,
        "momentum": _nonempty_list(_momentum, "momentum values from 0 up to (not including) 1"),
        "batch_size": _whole(1),
        "epochs": _whole(1),
        "samples_per_epoch": _whole(1),
        "test_samples": _whole(1),
        "curve_test_samples": _whole(1),
        "seeds": _nonempty_list(_seed, "whole numbers from 0 to 999 (from 1000 on are the seeds --resolve adds)"),
        "log_every_steps": _whole(1),
        "precision": _choice(PRECISIONS),
    },
    "compare": {
        "optimizer": _choice(OPTIMIZERS),
        "learning_rate": _positive_number,
        "accuracy_thresholds": _nonempty_list(_fraction, "accuracies between 0 and 1"),
        "size_matched": _boolean,
    },
}
# Upper bounds: the layer sizes of LeNet5 (32 and 64 feature maps), and budgets far beyond any
# assignment (a typo such as epochs = 1e6 would otherwise plan years of training and die of
# MemoryError). Stated in the README.
LIMITS = {("visualize", "feature_maps_shown"): 32, ("visualize", "conv2_filters_shown"): 64,
          ("deconvnet", "feature_maps"): 32, ("deconvnet", "evolution_maps"): 32,
          ("deconvnet", "occlusion_patch"): 28,
          ("data", "train_per_class"): 5000, ("data", "test_per_class"): 1000,
          **{(section, key): bound for section in ("cnn", "rnn") for key, bound in
             (("epochs", 1000), ("samples_per_epoch", 10_000_000), ("test_samples", 1_000_000),
              ("batch_size", 65_536))},
          ("rnn", "curve_test_samples"): 1_000_000}
LIST_LIMITS = {("cnn", "seeds"): ("seeds", 100), ("rnn", "seeds"): ("seeds", 100),
               ("rnn", "hidden_sizes"): ("hidden sizes", 4096)}


def _read_toml(text: str, where: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML ({error})") from None


def shipped_defaults() -> dict:
    text = resources.files("report").joinpath("defaults.toml").read_text(encoding="utf-8")
    return _read_toml(text, "shipped defaults.toml")


def read_user_file(path: Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors) is not TOML
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"config file {path} cannot be read: {error}") from None
    return _read_toml(text, f"config file {path}")


def _overlay(base: dict, overrides: dict, where: str, allowed_keys=None, schema=None) -> None:
    """Write overrides into base section by section, refusing unknown sections and keys."""
    schema = schema or SCHEMA
    for section, table in overrides.items():
        if section not in schema:
            raise ConfigError(f"{where}: unknown section [{section}]; known sections: "
                              + ", ".join(schema))
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [{section}] must be a table")
        for key, value in table.items():
            if key not in schema[section]:
                raise ConfigError(f"{where}: unknown key {section}.{key}; known keys of [{section}]: "
                                  + ", ".join(schema[section]))
            if allowed_keys is not None and key not in allowed_keys:
                raise ConfigError(f"{where}: a profile may change only budgets ({', '.join(allowed_keys)}), "
                                  f"not {section}.{key}")
            base[section][key] = value


def _dates_as_text(config: dict) -> None:
    """report.date may be written as a TOML date (date = 2026-12-01): the report prints it as written."""
    import datetime

    value = config["report"].get("date")
    if isinstance(value, (datetime.date, datetime.datetime)):
        config["report"]["date"] = value.isoformat()


def validate(config: dict, schema=None) -> None:
    _dates_as_text(config)
    for section, checks in (schema or SCHEMA).items():
        for key, check in checks.items():
            if key not in config[section]:
                raise ConfigError(f"{section}.{key} is missing")
            value = config[section][key]
            problem = check(value)
            if problem is None and (section, key) in LIMITS and value > LIMITS[(section, key)]:
                problem = f"at most {LIMITS[(section, key)]:,}"
            if problem is None and (section, key) in LIST_LIMITS:
                what, bound = LIST_LIMITS[(section, key)]
                if what == "seeds" and len(value) > bound:
                    problem = f"at most {bound} seeds"
                elif what != "seeds" and max(value) > bound:
                    problem = f"{what} of at most {bound:,}"
            if problem:
                raise ConfigError(f"{section}.{key} = {value!r} is not allowed: expected {problem}")
    _check_data(config["data"])
    _check_network_fits(config)


def _check_data(data: dict) -> None:
    if data["cifar10"] == "course":
        for key in ("train_per_class", "test_per_class"):
            if data[key]:
                raise ConfigError(f"data.{key} = {data[key]} applies to data.cifar10 = \"rgb\" only (the course "
                                  "subset is fixed at 1,000/100 per class)")


def _check_network_fits(config: dict) -> None:
    """Every network the [cnn] grid names must fit its input — CIFAR10's 28×28 or 32×32 images, and
    MNIST's 28×28 for the comparison — before anything trains; the message names the layer."""
    import itertools

    from .results.runs import cnn_input_side

    table = config["cnn"]
    sides = {f"CIFAR10's {cnn_input_side(config)}×{cnn_input_side(config)}": cnn_input_side(config),
             "MNIST's 28×28 (the comparison)": 28}
    for combination in itertools.product(*(alternatives(key, table[key]) for key in ("conv_filters", "padding"))):
        network = dict(zip(("conv_filters", "padding"), combination))
        for images, side in sides.items():
            try:
                feature_sides(network, side)
            except ShapeError as why:
                raise ConfigError(f"cnn.conv_filters = {network['conv_filters']} with cnn.padding = "
                                  f"\"{network['padding']}\" does not fit {images} images: {why}") from None


def parse_set(text: str) -> dict:
    """`section.key=value` (value in TOML; a bare word is taken as a string) → {section: {key: value}}."""
    name, equals, value = text.partition("=")
    section, dot, key = name.strip().partition(".")
    if not equals or not dot or not section or not key:
        raise ConfigError(f"--set {text}: expected section.key=value, e.g. --set cnn.epochs=3")
    try:
        parsed = tomllib.loads(f"value = {value.strip()}")["value"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()  # --set report.author=Ada: the shell ate the quotes
    return {section: {key: parsed}}


# Paths in [report] named relative to the config file that names them.
PATH_KEYS = ("notes_dir", "templates_dir", "claims_file")


def section_names(path: Path | None = None, sets=()) -> list[str]:
    """[report] sections as the user's file and --set give it, read before the rest of the config: the
    sections it names bring config tables of their own."""
    names = []
    if path is not None:
        names = read_user_file(path).get("report", {}).get("sections", [])
    for text in sets:
        names = parse_set(text).get("report", {}).get("sections", names)
    problem = _section_names(names)
    if problem:
        raise ConfigError(f"report.sections = {names!r} is not allowed: expected {problem}")
    return names


def own_tables(sections) -> tuple[dict, dict, dict]:
    """The config tables of the user's own sections: (defaults, profile budgets, checks), each by
    section name, from each module's CONFIG (TOML text) and CHECKS (a key's bounds; otherwise the
    default's type decides what is allowed). One error naming the section when its table is wrong."""
    from .sections import config_checks

    defaults, profiles, schema = {}, {}, {}
    for section in sections:
        text = getattr(section.module, "CONFIG", None)
        if text is None:
            continue
        where = f"section {section.name}'s CONFIG"
        if not isinstance(text, str):
            raise ConfigError(f"{where} must be TOML text (a string)")
        parsed = _read_toml(text, where)
        if set(parsed) - {section.name, "profiles"} or not isinstance(parsed.get(section.name, {}), dict):
            raise ConfigError(f"{where} may hold only [{section.name}] and [profiles.<profile>.{section.name}] "
                              f"tables, found {', '.join(sorted(parsed))}")
        table = parsed.get(section.name, {})
        checks = getattr(section.module, "CHECKS", {})
        unknown = sorted(set(checks) - set(table))
        if unknown:
            raise ConfigError(f"section {section.name}'s CHECKS names {', '.join(unknown)}, which its CONFIG does not set")
        schema[section.name] = {key: checks.get(key) or config_checks.like(value, f"{section.name}.{key}")
                                for key, value in table.items()}
        defaults[section.name] = table
        for profile, tables in parsed.get("profiles", {}).items():
            if profile not in PROFILES or set(tables) - {section.name}:
                raise ConfigError(f"{where}: [profiles.{profile}] may set only [{section.name}] budgets, in a "
                                  f"profile of {', '.join(PROFILES)}")
            profiles.setdefault(profile, {})[section.name] = tables[section.name]
    return defaults, profiles, schema


def load_config(path: Path | None = None, profile: str = "full", sets=(), sections=()) -> dict:
    """Defaults, then the profile's budgets, then the user's file, then --set: a value the user sets wins.
    sections: the report's sections; the user's own among them bring their tables (own_tables)."""
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    defaults = shipped_defaults()
    profiles = defaults.pop("profiles", {})
    own_defaults, own_profiles, own_schema = own_tables(sections)
    schema = {**SCHEMA, **own_schema}
    defaults.update(copy.deepcopy(own_defaults))
    for name, tables in own_profiles.items():
        profiles.setdefault(name, {}).update(tables)
    config = copy.deepcopy(defaults)
    _overlay(config, profiles.get(profile, {}), f"profile {profile}", allowed_keys=BUDGET_KEYS, schema=schema)
    if path is not None:
        user = read_user_file(path)
        for key in PATH_KEYS:
            value = user.get("report", {}).get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                user["report"][key] = str(Path(path).parent / value)
        _overlay(config, user, f"config file {path}", schema=schema)
    for text in sets:
        _overlay(config, parse_set(text), f"--set {text}", schema=schema)
    validate(config, schema)
    config["profile"] = profile
    return config


def native_bfloat16() -> bool:
    """Does this CPU multiply bfloat16 natively (AVX512_BF16 or AMX-BF16)? Elsewhere bfloat16 is emulated
    and runs slower than float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def check_machine(config: dict, gpus: list) -> None:
    """Settings this machine cannot run well are refused before anything trains."""
    for section in ("cnn", "rnn"):
        if config[section]["precision"] == "bfloat16" and not gpus and not native_bfloat16():
            raise ConfigError(f"{section}.precision = \"bfloat16\": this CPU has no native bfloat16 (AVX512_BF16 "
                              "or AMX-BF16), where it would run slower than float32; use \"float32\"")

"""Sentences that state results, computed from the summaries; nothing here is written by hand."""
from __future__ import annotations

import math

from .store import DIVERGED, FAILED

CHANCE = 0.10  # ten balanced classes


def learned_threshold(test_samples: int) -> float:
    """Accuracy above which a run is better than guessing: chance plus 3 binomial std."""
    return CHANCE + 3 * math.sqrt(CHANCE * (1 - CHANCE) / max(1, test_samples))


def fmt_acc(mean: float, std: float | None = None, n: int | None = None) -> str:
    if not math.isfinite(mean):
        return "n/a"
    text = f"{mean:.3f}"
    if std is not None and n and n > 1:
        text += f" ± {std:.3f}"
    return text


def classify(summary, threshold: float) -> str:
    """learned, chance, diverged or failed, for one configuration."""
    if summary.status == FAILED and not summary.finished:
        return "failed"
    if summary.status == DIVERGED and not summary.finished:
        return "diverged"
    mean, _, _ = summary.final()
    return "learned" if mean > threshold else "chance"


def _names(labels) -> str:
    labels = list(labels)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def grid_outcomes(summaries, threshold: float) -> list[str]:
    groups: dict[str, list[str]] = {}
    for summary in summaries:
        groups.setdefault(classify(summary, threshold), []).append(summary.label)
    sentences = []
    if groups.get("learned"):
        sentences.append(f"{len(groups['learned'])} of {len(summaries)} configurations learned "
                         f"(final test accuracy above {threshold:.3f}, i.e. chance plus three binomial "
                         f"standard deviations): {_names(groups['learned'])}.")
    if groups.get("chance"):
        sentences.append(f"{_names(groups['chance'])} stayed at chance level (10%).")
    if groups.get("diverged"):
        sentences.append(f"{_names(groups['diverged'])} diverged: the loss stopped being finite.")
    if groups.get("failed"):
        sentences.append(f"{_names(groups['failed'])} failed with an error (see the table).")
    return sentences


def rate_effect(summaries, group_key: str, rate_key: str, group_title) -> list[str]:
    """For each optimizer: at which learning rate it did best, and how the others compare."""
    sentences = []
    groups: dict[str, list] = {}
    for summary in summaries:
        groups.setdefault(summary.params[group_key], []).append(summary)
    for name, members in groups.items():
        finished = [m for m in members if m.finished]
        if not finished:
            sentences.append(f"{group_title(name)} produced no finished run.")
            continue
        ranked = sorted(finished, key=lambda m: -m.final()[0])
        top = ranked[0]
        parts = [f"{m.params[rate_key]:g} ({fmt_acc(m.final()[0])})" for m in ranked[1:]]
        sentence = (f"{group_title(name)} reached its best test accuracy at learning rate "
                    f"{top.params[rate_key]:g} ({fmt_acc(*top.final())})")
        sentence += ("; then " + ", ".join(parts) + "." if parts else ".")
        sentences.append(sentence)
    return sentences


def compare_with_seed_report(summaries, threshold: float) -> list[str]:
    """The hand-made seed report: Adam best at 1e-3 (0.536); GD and Adagrad learn well only at 1e-2."""
    by_params = {(s.params["optimizer"], s.params["learning_rate"]): s for s in summaries}
    sentences = []
    adam = [s for s in summaries if s.params["optimizer"] == "adam" and s.finished]
    if adam:
        top = max(adam, key=lambda s: s.final()[0])
        agrees = "agrees with" if math.isclose(top.params["learning_rate"], 1e-3) else "differs from"
        sentences.append(f"The earlier single-run report found Adam best at 1e-3 with 0.536 test accuracy; "
                         f"here Adam is best at {top.params['learning_rate']:g} with "
                         f"{fmt_acc(*top.final())}, which {agrees} it.")
    for optimizer, name in (("sgd", "plain gradient descent"), ("adagrad", "Adagrad")):
        rates = sorted(rate for (opt, rate) in by_params if opt == optimizer)
        if not rates:
            continue
        learned = [r for r in rates if classify(by_params[(optimizer, r)], threshold) == "learned"]
        if learned == [1e-2]:
            verdict = "learned only at 0.01, as the earlier report found"
        elif not learned:
            verdict = "learned at no rate in this budget"
        else:
            verdict = "learned at " + ", ".join(f"{r:g}" for r in learned)
        sentences.append(f"{name.capitalize()} {verdict}.")
    return sentences


def _mean_over(summaries, key, value):
    members = [s for s in summaries if s.params[key] == value and s.finished]
    return float(sum(s.final()[0] for s in members) / len(members)) if members else math.nan


def rnn_cell_effect(summaries, cell_names: dict) -> list[str]:
    """How the cell type and the hidden size change accuracy and training time."""
    sentences = []
    cells = list(dict.fromkeys(s.params["cell"] for s in summaries))
    by_cell = {c: _mean_over(summaries, "cell", c) for c in cells}
    ranked = sorted((c for c in cells if math.isfinite(by_cell[c])), key=lambda c: -by_cell[c])
    if ranked:
        sentences.append("Averaged over hidden sizes, the cells rank "
                         + " > ".join(f"{cell_names[c]} ({by_cell[c]:.3f})" for c in ranked) + " in test accuracy.")
    for cell in cells:
        members = sorted((s for s in summaries if s.params["cell"] == cell and s.finished),
                         key=lambda s: s.params["hidden_size"])
        if len(members) < 2:
            continue
        accs = [m.final()[0] for m in members]
        trend = ("rises" if all(b > a for a, b in zip(accs, accs[1:])) else
                 "falls" if all(b < a for a, b in zip(accs, accs[1:])) else "is not monotonic")
        times = [m.total_train_seconds() for m in members]
        sentences.append(
            f"For the {cell_names[cell]}, test accuracy {trend} with the hidden size ("
            + ", ".join(f"{m.params['hidden_size']}: {a:.3f}" for m, a in zip(members, accs))
            + f"), while training time grows from {times[0]:.1f} s to {times[-1]:.1f} s "
            f"({times[-1] / times[0]:.1f}×).")
    return sentences


def rnn_seed_report(summaries, cell_names: dict) -> list[str]:
    """The seed report: basic RNN at 64/128/256 reached 0.856/0.883/0.848; GRU-128 was its best."""
    seed = {64: 0.856, 128: 0.883, 256: 0.848}
    ours = {s.params["hidden_size"]: s.final()[0] for s in summaries
            if s.params["cell"] == "rnn" and s.finished and s.params["hidden_size"] in seed}
    sentences = []
    if ours:
        sentences.append("The earlier single-run report's basic RNN reached "
                         + ", ".join(f"{seed[h]:.3f} at {h}" for h in sorted(ours))
                         + " hidden units; ours reached "
                         + ", ".join(f"{ours[h]:.3f}" for h in sorted(ours)) + " (mean over seeds).")
    finished = [s for s in summaries if s.finished]
    if finished:
        top = max(finished, key=lambda s: s.final()[0])
        same = top.params["cell"] == "gru" and top.params["hidden_size"] == 128
        sentences.append(f"Its best configuration was the GRU with 128 units; ours is the "
                         f"{cell_names[top.params['cell']]} with {top.params['hidden_size']} units "
                         f"({'the same' if same else 'a different one'}).")
    return sentences


def cnn_versus_rnn(cnn, rnn, cnn_row: dict, rnn_row: dict) -> list[str]:
    """Sentences tying the comparison table's numbers together (both summaries on MNIST)."""
    cnn_acc, rnn_acc = cnn.final()[0], rnn.final()[0]
    if not (math.isfinite(cnn_acc) and math.isfinite(rnn_acc)):
        return ["One of the two models has no finished run, so no comparison is drawn."]
    best_rnn = f"the best RNN ({rnn.label})"
    better, worse = ("LeNet5", best_rnn) if cnn_acc >= rnn_acc else (best_rnn, "LeNet5")
    sentences = [f"With the same data, budget and seeds, {better} reached the higher test accuracy "
                 f"({max(cnn_acc, rnn_acc):.3f} against {min(cnn_acc, rnn_acc):.3f} for {worse})."]
    sentences.append(f"LeNet5 has {cnn_row['parameters_raw'] / rnn_row['parameters_raw']:.1f}× the parameters "
                     f"of the RNN and took {cnn_row['epoch_seconds_raw'] / rnn_row['epoch_seconds_raw']:.1f}× its "
                     f"training time per evaluation interval; inference per image was "
                     f"{cnn_row['inference_ms_raw']:.3f} ms against {rnn_row['inference_ms_raw']:.3f} ms.")
    return sentences

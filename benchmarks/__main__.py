"""Print one table, all measured in this process so that the ratios hold on a noisy machine.

    python -m benchmarks [--data-dir DIR] [--save]
    python -m benchmarks --precision [--data-dir DIR] [--seeds 3]
    python -m benchmarks --profiles smoke quick [full] [--data-dir DIR] [--save]
    python -m benchmarks --kernels
    python -m benchmarks --statistics [--json] [--grids N] [--only SCENARIOS] [--procedure NAME] [--frontier]

--save also writes the table to benchmarks/last_run.md with the machine it ran on.
--precision trains the LeNet5 grid's best configuration (full budget) and one RNN configuration in
float32 and in bfloat16, each with --seeds seeds, and prints the speed-up in training steps and the
difference of mean final test accuracy (bfloat16 − float32) with its 95 % interval (Welch).
--profiles times `mkreport all --profile P` from a fresh output and cache for each profile named, and
compares the time-left estimates it printed (the first, and the first after a quarter of the runs
finished) with the time that was really left; --save writes that table to benchmarks/profiles_last_run.md.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from report.output.provenance import cpu_name

from experiments.flops import TRAINING_FACTOR, forward_flops, rnn_forward_flops
from experiments.kernels import matmul_peak_gflops

EPOCHS = 3           # the first epoch includes tracing; the rest are timed
SAMPLES = 1536


def mkreport_throughput(params: dict, data, precision: str = "float32") -> float:
    """Samples per second in training steps, through experiments.training.train_run."""
    from experiments.training import train_run

    result = train_run(dict(params, precision=precision, epochs=EPOCHS, samples_per_epoch=SAMPLES, test_samples=200,
                            curve_test_samples=200, log_every_steps=15), 0, data)  # per-step points, as builds record
    return SAMPLES / statistics.median(m["train_seconds"] for m in result["metrics"][1:])


def bare_keras_throughput(params: dict, data) -> float:
    """The same model, data and batch size through one plain keras.Model.fit call."""
    import keras

    from experiments.models import build_model, make_optimizer
    from experiments.training import to_inputs

    keras.utils.set_random_seed(0)
    model = build_model(params)
    model.compile(optimizer=make_optimizer(params["optimizer"], params["learning_rate"]),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x, y = to_inputs(data.x_train[:SAMPLES], params["model"]), data.y_train[:SAMPLES]
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.started)

    model.fit(x, y, batch_size=params["batch_size"], epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[Timer()])
    return SAMPLES / statistics.median(times[1:])


def precision_benchmark(cifar, mnist, seeds: int) -> str:
    """float32 against bfloat16 on the assignment's budgets: speed, and accuracy across seeds."""
    from scipy import stats

    from experiments.training import train_run

    cases = [("LeNet5 adam 1e-3, CIFAR10 (5 × 10,000)", {"model": "lenet5", "optimizer": "adam", "learning_rate": 1e-3,
                                                       "batch_size": 64, "epochs": 5, "samples_per_epoch": 10_000,
                                                       "test_samples": 1000, "curve_test_samples": 1000}, cifar),
             ("LSTM 128, MNIST (10 × 10,000)", {"model": "rnn", "cell": "lstm", "hidden_size": 128, "optimizer": "adam",
                                             "learning_rate": 1e-3, "batch_size": 128, "epochs": 10,
                                             "samples_per_epoch": 10_000, "test_samples": 10_000,
                                             "curve_test_samples": 2000}, mnist)]
    lines = ["| model | float32 samples/s | bfloat16 samples/s | speed-up | float32 accuracy | bfloat16 accuracy "
             "| difference (95 % CI) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, params, data in cases:
        speed, accuracy = {}, {}
        for precision in ("float32", "bfloat16"):
            runs = [train_run(dict(params, precision=precision), seed, data) for seed in range(seeds)]
            speed[precision] = statistics.median(
                params["samples_per_epoch"] / statistics.median(m["train_seconds"] for m in r["metrics"][1:]) for r in runs)
            accuracy[precision] = [r["metrics"][-1]["test_accuracy"] for r in runs]
        test = stats.ttest_ind(accuracy["bfloat16"], accuracy["float32"], equal_var=False)
        low, high = test.confidence_interval(0.95)
        difference = statistics.mean(accuracy["bfloat16"]) - statistics.mean(accuracy["float32"])
        lines.append(f"| {name} | {speed['float32']:,.0f} | {speed['bfloat16']:,.0f} | "
                     f"{speed['bfloat16'] / speed['float32']:.2f}× | "
                     + " | ".join(f"{statistics.mean(a):.3f} ± {statistics.stdev(a):.3f}" for a in accuracy.values())
                     + f" | {difference:+.3f} [{low:+.3f}, {high:+.3f}] (p = {test.pvalue:.2f}) |")
    return "\n".join(lines)


def kernels_benchmark() -> str:
    """Samples/s of each model kind (LeNet5 at batch 64, each RNN cell at 128 units and batch 128; Adam,
    one thread) with each CPU kernel set, each set in a fresh process, the fraction of that process's
    one-thread fp32 matmul peak, and what `[report] cpu_kernels = "auto"` takes (one set per build)."""
    from experiments.kernels import KERNELS, MODELS, measure_both
    from report.training.cpu_kernels import NAMES, pick

    others = tuple(name for name in MODELS if name != "lenet5")
    found = measure_both(peak=True, models=others)
    chosen = pick(found) or found["default"]
    lines = [f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_name()}; TensorFlow's own choice: "
             f"{NAMES[found['default']]}", "", "| model | kernels | samples/s | GFLOP/s | fraction of the fp32 matmul peak | "
             "speed against the other kernels | chosen |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for model, (params, _batch) in MODELS.items():
        per_sample = forward_flops(params) * TRAINING_FACTOR
        speeds = {k: found.get(k if model == "lenet5" else f"{k}:{model}") for k in KERNELS}
        for kernels in KERNELS:
            if not speeds[kernels]:
                continue
            other = speeds["eigen" if kernels == "onednn" else "onednn"]
            gflops = speeds[kernels] * per_sample / 1e9
            lines.append(f"| {'LeNet5' if model == 'lenet5' else f'{model.upper()} 128'} | {NAMES[kernels]} | "
                         f"{speeds[kernels]:,.0f} | {gflops:.1f} | {gflops / found[f'{kernels}_peak']:.2f} "
                         f"(of {found[f'{kernels}_peak']:.0f}) | {f'{speeds[kernels] / other:.2f}×' if other else ''} | "
                         f"{'yes' if kernels == chosen else ''} |")
    return "\n".join(lines)


LEFT = re.compile(r"≈(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)? left")


def seconds_of(match: re.Match) -> int:
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return 3600 * hours + 60 * minutes + seconds


def profile_benchmark(profile: str, data_dir: str) -> str:
    """One cold build of a profile, each line of its output stamped when it arrived: wall time, and
    each checked estimate against the time really left from that line to the end."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, MKREPORT_CACHE_DIR=f"{folder}/cache")
        env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user runs it
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "report", "all", "--profile", profile, "--data-dir", data_dir,
                                    "--output", f"{folder}/output"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                   text=True, env=env)
        lines = [(time.monotonic() - started, line) for line in process.stderr]
        if process.wait() != 0:
            raise SystemExit(f"mkreport all --profile {profile} failed:\n" + "".join(line for _, line in lines[-20:]))
        wall = time.monotonic() - started
    runs = int(re.search(r"plan: (\d+) run", "".join(line for _, line in lines)).group(1))
    checks, finished = {}, 0
    for at, line in lines:
        finished += " done in " in line
        match = LEFT.search(line)
        if match:
            checks.setdefault("first", (at, seconds_of(match)))
            if finished >= runs / 4:
                checks.setdefault("after a quarter", (at, seconds_of(match)))
    cells = []
    for name in ("first", "after a quarter"):
        at, left = checks[name]
        really = wall - at
        cells.append(f"at {at:.0f} s: ≈{left:.0f} s left, really {really:.0f} s ({(left - really) / really:+.0%})")
    return f"| {profile} | {runs} | {wall:.1f} | " + " | ".join(cells) + " |"


def timed_cli(*args) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "report", *args], check=True, capture_output=True,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=os.environ.get("MKREPORT_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--save", action="store_true")
    parser.add_argument("--precision", action="store_true", help="float32 against bfloat16 (see above)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--profiles", nargs="+", choices=("smoke", "quick", "full"), help="time cold builds (see above)")
    parser.add_argument("--kernels", action="store_true",
                        help="LeNet5 with oneDNN's and with Eigen's CPU kernels, and which `auto` chooses")
    parser.add_argument("--statistics", action="store_true",
                        help="simulated grids through the report's statistics (benchmarks/statistics.py)")
    parser.add_argument("--json", action="store_true", help="with --statistics: a JSON list")
    parser.add_argument("--grids", type=int, default=1000, help="with --statistics: grids per scenario")
    parser.add_argument("--only", help="with --statistics: these scenarios (comma-separated), no --resolve rows")
    parser.add_argument("--procedure", help="with --statistics: this procedure only (report, mcb-one-way, …)")
    parser.add_argument("--frontier", action="store_true",
                        help="with --statistics: families of procedures, power against robustness (benchmarks/frontier.py)")
    args = parser.parse_args()
    if args.kernels:
        print(kernels_benchmark())
        return
    if args.statistics:
        from .statistics import main as statistics_main

        statistics_main(args.json, args.grids, args.only, args.procedure, args.frontier)
        return
    if args.profiles:
        lines = [f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_name()}; python {platform.python_version()}",
                 "", "| profile | runs | wall seconds | first estimate | estimate after a quarter of the runs |",
                 "| --- | --- | --- | --- | --- |"]
        for profile in args.profiles:
            lines.append(profile_benchmark(profile, args.data_dir))
            print(lines[-1], flush=True)
        if args.save:
            Path(__file__).with_name("profiles_last_run.md").write_text(
                f"# Last profile timing\n\n`python -m benchmarks --profiles {' '.join(args.profiles)} --save`, "
                f"{time.strftime('%Y-%m-%d')}, fresh output and cache\n\n" + "\n".join(lines) + "\n")
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from experiments.data import load_cifar10, load_mnist
    from experiments.training import THREADS_PER_RUN, use_threads

    use_threads(THREADS_PER_RUN)  # as every run trains: the numbers are those of a build
    cifar, mnist = load_cifar10(Path(args.data_dir)), load_mnist(Path(args.data_dir))
    if args.precision:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_name()}; one thread per run")
        print(precision_benchmark(cifar, mnist, args.seeds))
        return
    from report.config import native_bfloat16

    bf16 = native_bfloat16()  # elsewhere bfloat16 is emulated (slow) and builds refuse it
    peak = matmul_peak_gflops(size=2048)
    rows = [("fp32 matmul peak (2048²)", "", "", "", "", f"{peak:.1f}", "", "1.00")]
    if bf16:
        bf16_peak = matmul_peak_gflops(size=2048, dtype="bfloat16")
        rows.append(("bf16 matmul peak (2048²)", "", "", "", "", f"{bf16_peak:.1f}", "", f"{bf16_peak / peak:.2f}"))
    models = [("LeNet5, CIFAR10, batch 64", {"model": "lenet5", "optimizer": "adam", "learning_rate": 1e-3,
                                               "batch_size": 64}, cifar, forward_flops({"model": "lenet5"}))]
    for cell in ("rnn", "lstm", "gru"):
        models.append((f"{cell} 128, MNIST, batch 128", {"model": "rnn", "cell": cell, "hidden_size": 128,
                                                          "optimizer": "adam", "learning_rate": 1e-3, "batch_size": 128},
                       mnist, rnn_forward_flops(cell, 128)))
    for name, params, data, forward in models:
        ours, bare = mkreport_throughput(params, data), bare_keras_throughput(params, data)
        half = mkreport_throughput(params, data, "bfloat16") if bf16 else None
        gflops = ours * forward * TRAINING_FACTOR / 1e9
        rows.append((name, f"{ours:,.0f}", f"{bare:,.0f}", f"{half:,.0f}" if half else "no native bf16",
                     f"{half / ours:.2f}" if half else "", f"{gflops:.1f}", f"{ours / bare:.2f}", f"{gflops / peak:.2f}"))

    with tempfile.TemporaryDirectory() as folder:
        # one configuration per grid keeps the cold build short; the report still has every section and figure
        config = Path(folder) / "one-of-each.toml"
        config.write_text('[cnn]\noptimizers = ["adam"]\nlearning_rates = [1e-3]\n'
                          '[rnn]\ncells = ["gru"]\nhidden_sizes = [128]\n')
        common = ["--profile", "smoke", "--config", str(config), "--data-dir", args.data_dir,
                  "--output", f"{folder}/output"]
        cold = timed_cli("all", *common)
        warm = timed_cli("all", *common)
        render = timed_cli("render", *common)

    lines = [f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_name()}; python {platform.python_version()}", "",
             "| what | mkreport samples/s | bare Keras samples/s | mkreport bf16 samples/s | bf16 / fp32 | GFLOP/s "
             "| mkreport / Keras | fraction of fp32 peak |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "| command (smoke profile, one configuration per grid) | seconds |", "| --- | --- |",
              f"| cold `mkreport all` (3 runs, both analyses, render) | {cold:.1f} |", f"| `mkreport all` again (nothing changed: up to date) | {warm:.1f} |",
              f"| `mkreport render` (nothing changed: up to date) | {render:.1f} |"]
    table = "\n".join(lines)
    print(table)
    if args.save:
        Path(__file__).with_name("last_run.md").write_text(
            f"# Last benchmark run\n\n`python -m benchmarks --save`, {time.strftime('%Y-%m-%d')}\n\n{table}\n")


if __name__ == "__main__":
    main()

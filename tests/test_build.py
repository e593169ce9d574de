"""The whole report on real data with the smoke profile, driven as a user drives it."""
import csv
import json
import shutil

import numpy as np
import pytest

from tests.conftest import REPO, copy_build, run_cli

pytestmark = pytest.mark.slow


def cli(smoke_build, *args, output=None, **kwargs):
    return run_cli(*args, "--output", output or smoke_build["output"], "--data-dir", smoke_build["data_dir"],
                   env={"MKREPORT_CACHE_DIR": str(smoke_build["cache"])}, **kwargs)


def test_smoke_build_writes_both_files_and_passes_check(smoke_build):
    output = smoke_build["output"]
    assert (output / "report.html").stat().st_size > 10_000
    assert (output / "report.pdf").read_bytes().startswith(b"%PDF")
    result = cli(smoke_build, "check", "--profile", "smoke")
    assert result.returncode == 0, result.stderr
    html = (output / "report.html").read_text()
    for section in ("cnn", "visualize", "deconvnet", "rnn", "compare", "provenance"):
        assert f'id="sec-{section}"' in html
    assert "Traceback" not in smoke_build["stderr"]
    assert "[20/20]" in smoke_build["stderr"] and "left" in smoke_build["stderr"]  # progress with ETA


def test_the_terminal_shows_mkreports_lines_and_tensorflows_go_to_logs(smoke_build):
    output = smoke_build["output"]
    terminal = smoke_build["stdout"] + smoke_build["stderr"]
    noise = [line for line in terminal.splitlines()
             if line.startswith(("I0000", "W0000", "E0000", "WARNING: All log messages")) or "cuda" in line.lower()]
    assert noise == []
    logs = "".join(p.read_text() for p in (output / "logs").glob("*.log"))
    assert "cuda" in logs.lower() or "I0000" in logs  # TensorFlow's start-up lines are kept, in the logs
    assert (output / "logs" / "mkreport.log").is_file() and len(list((output / "logs").glob("cnn__*.log"))) == 9


def test_a_build_without_a_terminal_logs_each_run_and_no_heartbeat(smoke_build):
    """Its stderr is a file here: a line per run started and finished, a progress line at most a minute,
    no "… training (N s)" heartbeat (issue 36); each later phase is still announced with its time."""
    lines = smoke_build["stderr"].splitlines()
    assert not [line for line in lines if line.lstrip().startswith("…")]
    starts = [line for line in lines if line.startswith("[")]
    ends = [line for line in lines if " done in " in line]
    assert len(starts) == len(ends) == 20
    assert len([line for line in lines if " epoch " in line]) <= 3      # ≈30 s of training: one a minute at most
    for phase in ("analysing visualize", "analysing deconvnet", "drawing their figures", "writing report.html"):
        assert phase in smoke_build["stderr"]


def test_metrics_csv_has_a_row_per_run_per_epoch(smoke_build):
    with open(smoke_build["output"] / "metrics.csv") as stream:
        rows = list(csv.DictReader(stream))
    for column in ("section", "config", "seed", "epoch", "train_loss", "train_accuracy", "test_accuracy", "train_seconds"):
        assert column in rows[0]
    runs = {(r["section"], r["config"], r["seed"]) for r in rows}
    assert len([r for r in runs if r[0] == "cnn"]) == 9
    assert len([r for r in runs if r[0] == "rnn"]) == 9
    assert len([r for r in runs if r[0] == "compare"]) == 2  # LeNet5 and the narrowed LeNet5
    assert len(rows) == 20 * 2
    assert all(0.0 <= float(r["test_accuracy"]) <= 1.0 for r in rows)


def test_claims_json_holds_every_sentence_and_one_seed_ranks_nothing(smoke_build):
    import html as html_module

    claims = json.loads((smoke_build["output"] / "claims.json").read_text())["claims"]
    report = html_module.unescape((smoke_build["output"] / "report.html").read_text())
    assert {c["section"] for c in claims} == {"cnn", "visualize", "deconvnet", "rnn", "compare"}
    for claim in claims:
        assert claim["text"] in report, claim["text"]   # every sentence of claims.json is the one printed
        assert set(claim["labels"]) == set(claim["values"])
    assert not [c for c in claims if c["kind"] in ("difference", "best", "trend")]  # smoke: one seed
    assert not [c for c in claims if c["kind"] == "earlier-report"]   # no claims file, no checks


def test_second_run_trains_nothing_and_rewrites_nothing(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    before = (output / "report.pdf").stat().st_mtime_ns
    result = cli(smoke_build, "all", "--profile", "smoke", output=output)
    assert result.returncode == 0, result.stderr
    assert "report is up to date" in result.stdout
    assert (output / "report.pdf").stat().st_mtime_ns == before
    assert cli(smoke_build, "render", "--profile", "smoke", output=output).stdout.startswith("report is up to date")


def test_a_changed_input_is_rebuilt_without_training(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    before = (output / "report.pdf").stat().st_mtime_ns
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.css").write_text("/* first */\n")
    first = cli(smoke_build, "all", "--profile", "smoke", "--templates", templates, output=output)
    assert "trained 0 run(s), reused 20" in first.stdout and (output / "report.pdf").stat().st_mtime_ns != before
    assert "report is up to date" in cli(smoke_build, "all", "--profile", "smoke", "--templates", templates,
                                         output=output).stdout
    (templates / "report.css").write_text("/* second, longer */\n")  # one edited template
    again = cli(smoke_build, "all", "--profile", "smoke", "--templates", templates, output=output)
    assert "trained 0 run(s), reused 20" in again.stdout and "/* second" in (output / "report.html").read_text()


def test_check_fails_on_a_damaged_figure(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    html = (output / "report.html").read_text()
    (output / "report.html").write_text(html.replace('src="data:image/png;base64,iVBOR', 'src="data:image/png;base64,AAAA', 1))
    result = cli(smoke_build, "check", "--profile", "smoke", output=output)
    assert result.returncode == 1
    assert "is missing or not a PNG" in result.stderr


def test_report_html_embeds_every_figure_and_shows_them_alone(smoke_build, tmp_path):
    """Sent by mail or opened from another folder, report.html needs nothing beside it."""
    import base64
    import re

    html = (smoke_build["output"] / "report.html").read_text()
    sources = re.findall(r'<img src="([^"]*)"', html)
    assert len(sources) >= 12 and 'src="figures/' not in html
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG")
    alone = tmp_path / "alone" / "report.html"
    alone.parent.mkdir()
    alone.write_text(html)
    from weasyprint import HTML

    pdf = HTML(filename=str(alone)).write_pdf()  # resolves nothing beside it: every image is inside
    assert pdf.startswith(b"%PDF") and len(pdf) > 100_000
    assert (smoke_build["output"] / "figures" / "cnn_curves.png").is_file()  # the PNGs stay for reuse


def test_check_fails_on_a_missing_value_and_a_missing_section(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    html = (output / "report.html").read_text()
    html = html.replace('id="sec-rnn"', 'id="sec-other"').replace("What the numbers say", "What the numbers say: nan", 1)
    (output / "report.html").write_text(html)
    result = cli(smoke_build, "check", "--profile", "smoke", output=output)
    assert result.returncode == 1
    assert "section rnn is not in the report" in result.stderr and "'nan'" in result.stderr


def test_changing_one_learning_rate_retrains_only_its_runs(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    config = tmp_path / "one-rate.toml"
    config.write_text("[cnn]\nlearning_rates = [1e-2, 1e-3, 3e-4]\n")
    result = cli(smoke_build, "cnn", "--profile", "smoke", "--config", config, output=output)
    assert result.returncode == 0, result.stderr
    assert "trained 3 run(s), reused 6" in result.stdout  # one new rate × three optimizers
    rows = json.loads(cli(smoke_build, "status", "--profile", "smoke", "--config", config, "--json", output=output).stdout)
    assert {r["state"] for r in rows} == {"done"}
    assert any("lr=0.0003" in r["config"] for r in rows)


def test_status_lists_every_run_and_finds_stale_and_corrupt_ones(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    rows = json.loads(cli(smoke_build, "status", "--profile", "smoke", "--json", output=output).stdout)
    assert len(rows) == 20 and all(r["state"] == "done" for r in rows)
    assert all(len(r["key"]) == 24 and r["path"].endswith(r["key"] + ".json") for r in rows)

    victim = next(r for r in rows if r["section"] == "rnn")
    with open(victim["path"], "r+") as stream:
        text = stream.read()
        stream.seek(0)
        stream.write(text.replace('"test_accuracy": 0.', '"test_accuracy": 1.', 1))
    config = tmp_path / "longer.toml"
    config.write_text("[cnn]\nepochs = 3\n")
    table = cli(smoke_build, "status", "--profile", "smoke", "--config", config, output=output).stdout
    states = [line.split()[-1] for line in table.splitlines()[:-1]]
    assert states.count("stale") == 9 and states.count("corrupt") == 1 and table.endswith("1 corrupt, 10 done, 9 stale\n")

    rendered = cli(smoke_build, "render", "--profile", "smoke", output=output)
    assert rendered.returncode == 1 and "Traceback" not in rendered.stderr
    assert "mkreport rnn" in rendered.stderr


def test_render_says_which_command_makes_missing_results(smoke_build, tmp_path):
    result = cli(smoke_build, "render", "--profile", "smoke", output=tmp_path / "empty")
    assert result.returncode == 1
    assert "run `mkreport cnn --profile smoke --data-dir" in result.stderr and "Traceback" not in result.stderr


def test_titles_and_labels_are_escaped(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    config = tmp_path / "evil.toml"
    config.write_text('[report]\ntitle = "<script>alert(1)</script>"\nauthor = "A & B"\n')
    result = cli(smoke_build, "render", "--profile", "smoke", "--config", config, "--force", output=output)
    assert result.returncode == 0, result.stderr
    html = (output / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "A &amp; B" in html


def test_deconvnet_alone_trains_nothing_and_recomputes_its_analysis(smoke_build, tmp_path):
    output = copy_build(smoke_build, tmp_path)
    shutil.rmtree(output / "store" / "deconvnet")
    result = cli(smoke_build, "deconvnet", "--profile", "smoke", output=output)
    assert result.returncode == 0, result.stderr
    assert "trained 0 run(s), reused 9" in result.stdout  # the CNN grid only: what this section reads
    assert list((output / "store" / "deconvnet").glob("*.npz"))
    assert cli(smoke_build, "check", "--profile", "smoke", output=output).returncode == 0


def test_tensorboard_event_files_hold_every_run_and_its_hyperparameters(smoke_build):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    output = smoke_build["output"]
    with open(output / "metrics.csv") as stream:
        last = {}
        for row in csv.DictReader(stream):
            last[(row["section"], row["config"], row["seed"])] = float(row["test_accuracy"])
    runs = [p for p in (output / "tensorboard").glob("*/*") if p.is_dir()]
    assert len(runs) == len(last) == 20
    for folder in runs:
        events = EventAccumulator(str(folder))
        events.Reload()
        accuracy = events.Scalars("test/accuracy")
        content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        hparams = {key: value.ListFields()[0][1] for key, value in start.hparams.items()}
        section, label, seed = start.group_name.split("/", 1)[0], *start.group_name.split("/", 1)[1].rsplit("/", 1)
        assert section == folder.parent.name and seed == f"seed={int(hparams['seed'])}"
        assert abs(accuracy[-1].value - last[(section, label, seed.split("=")[1])]) < 1e-6
        assert len(events.Scalars("train/loss")) > len(accuracy)  # per-step points, not per evaluation
        assert "batch_size" in hparams and ("optimizer" in hparams or "cell" in hparams)
    result = run_cli("tensorboard", "--output", output)
    assert result.returncode == 0 and result.stdout.startswith("tensorboard --logdir")


def test_tensorboard_shows_the_best_cnn_runs_conv1_filters_per_epoch(smoke_build):
    """The best CIFAR10 configuration's best seed (by metrics.csv) holds the filter image, at
    initialisation and after each epoch, and its pixels are the stored conv1 kernels."""
    import io

    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from report.output import tensorboard_export
    from report.results.store import Store

    output = smoke_build["output"]
    with open(output / "metrics.csv") as stream:
        final = {}
        for row in csv.DictReader(stream):
            if row["section"] == "cnn" and row["state"] == "done":
                final[(row["config"], row["seed"])] = float(row["test_accuracy"])
    configs = {config for config, _ in final}
    best_config = max(configs, key=lambda c: np.mean([v for (k, _), v in final.items() if k == c]))
    best_seed = max((seed for config, seed in final if config == best_config), key=lambda s: final[(best_config, s)])
    holders = [f.parent for f in (output / "tensorboard" / "cnn").glob("*/events.out.tfevents.*.conv1-filters")]
    assert len(holders) == 1
    events = EventAccumulator(str(holders[0]), size_guidance={"tensors": 0})
    events.Reload()
    images = events.Tensors("conv1/filters")
    start = [s for s in events.Tensors("_hparams_/session_start_info")]
    assert start  # the same folder as the run's scalars and hparams
    store = Store(output)
    record = next(r.record for r in store.records("cnn") if r.record.get("label") == best_config
                  and str(r.record["seed"]) == best_seed)
    kernels = store.load_arrays(store.load("cnn", record["key"]))["snapshot_conv1_kernel"]
    assert [image.step for image in images] == [0] + [m["samples_seen"] for m in record["metrics"]]
    scale = float(np.abs(kernels).max())
    for image, kernel in zip(images, kernels):
        width, height, png = image.tensor_proto.string_val
        pixels = np.asarray(Image.open(io.BytesIO(png)))
        assert pixels.shape == (int(height), int(width))
        assert np.array_equal(pixels, tensorboard_export.filter_grid(kernel, scale))


def test_filter_grid_draws_zero_grey_and_the_scale_black_or_white_with_white_gaps():
    from report.output.tensorboard_export import GAP, TILE, filter_grid

    kernel = np.zeros((5, 5, 1, 9), dtype=np.float32)
    kernel[0, 0, 0, 0], kernel[4, 4, 0, 0], kernel[2, 2, 0, 8] = 0.5, -0.5, 0.25
    grid = filter_grid(kernel, scale=0.5, cols=8)
    size = 5 * TILE
    assert grid.shape == (2 * size + GAP, 8 * size + 7 * GAP)
    assert grid[0, 0] == 255 and grid[size - 1, size - 1] == 0 and grid[size // 2, size // 2] == 128
    assert grid[size + GAP + 2 * TILE, 2 * TILE] == 191  # filter 8 opens the second row: 0.25 of 0.5 → 127.5 + 63.75
    assert (grid[size: size + GAP] == 255).all() and (grid[:size, size: size + GAP] == 255).all()


def test_a_colour_networks_filters_are_one_rgb_image_with_white_gaps():
    from report.output.tensorboard_export import GAP, TILE, _png, filter_grid

    kernel = np.zeros((5, 5, 3, 6), dtype=np.float32)
    kernel[2, 2, 0, 0] = 0.5          # filter 0: red at its centre
    grid = filter_grid(kernel, scale=0.5, cols=3)
    size = 5 * TILE
    assert grid.shape == (2 * size + GAP, 3 * size + 2 * GAP, 3)
    assert grid[size // 2, size // 2].tolist() == [255, 128, 128] and grid[0, 0].tolist() == [128, 128, 128]
    assert (grid[size: size + GAP] == 255).all()
    assert _png(grid).startswith(b"\x89PNG")


def test_every_lenet5_runs_network_settings_are_its_hparams():
    from report.output.tensorboard_export import hparams_of

    lenet = {"params": {"model": "lenet5", "optimizer": "adam", "learning_rate": 1e-3, "conv_filters": [6, 16],
                        "fc_units": [], "activation": "tanh"}, "seed": 2}
    assert hparams_of(lenet) == {"optimizer": "adam", "learning_rate": 1e-3, "conv_filters": "6/16", "fc_units": "none",
                                 "activation": "tanh", "padding": "same", "dropout": 0.5, "seed": 2}
    rnn = {"params": {"model": "rnn", "cell": "gru", "hidden_size": 64, "optimizer": "adam"}, "seed": 0}
    assert "conv_filters" not in hparams_of(rnn)


def test_per_step_train_points_average_to_each_epochs_train_loss(smoke_build):
    """With a point every batch (smoke: log_every_steps = 1), the points of an epoch average exactly to
    the epoch's train loss that Keras reports: the windows are cut from its running means correctly."""
    for path in (smoke_build["output"] / "store").glob("*/*.json"):
        record = json.loads(path.read_text())["record"]
        if "steps" not in record or not record["metrics"]:
            continue
        per_epoch = record["params"]["samples_per_epoch"]
        assert len(record["steps"]) > len(record["metrics"])
        for epoch in record["metrics"]:
            points = [p["train_loss"] for p in record["steps"]
                      if (epoch["epoch"] - 1) * per_epoch < p["samples_seen"] <= epoch["epoch"] * per_epoch]
            assert sum(points) / len(points) == pytest.approx(epoch["train_loss"], rel=1e-4)


@pytest.mark.slow
def test_the_appendix_names_no_path_of_the_building_machine_and_its_own_times(smoke_build):
    html = (smoke_build["output"] / "report.html").read_text()
    assert str(smoke_build["data_dir"]) not in html and str(smoke_build["output"]) not in html
    assert "CIFAR10.zip, from a local data folder" in html and "mnist.npz, from a local data folder" in html
    assert "The command that wrote this report ran for" in html and "wall-clock span" in html
    assert "The runs were trained with keras" in html


@pytest.mark.slow
def test_the_report_has_no_parenthesised_plurals(smoke_build):
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(smoke_build["output"] / "report.pdf").pages)
    assert "(s)" not in text and "(es)" not in text


@pytest.mark.slow
def test_every_page_of_a_draft_carries_the_draft_mark_and_a_full_report_none(smoke_build):
    """Issue 36: a page printed from a smoke or quick build says it is a draft, not only the title page."""
    import jinja2
    from pypdf import PdfReader

    pages = PdfReader(smoke_build["output"] / "report.pdf").pages
    assert len(pages) > 3
    assert all("Draft (smoke profile)" in page.extract_text() for page in pages)
    source = (REPO / "templates" / "report.html").read_text()
    head = source[:source.index("</head>")].replace('{% include "report.css" %}', "")
    assert "@top-center" not in jinja2.Template(head).render(profile="full", title="t", build_keys="")
    assert "@top-center" in jinja2.Template(head).render(profile="quick", title="t", build_keys="")


@pytest.mark.slow
def test_report_md_links_only_files_of_the_output_and_check_catches_a_missing_one(smoke_build, tmp_path):
    import re

    output = copy_build(smoke_build, tmp_path)
    markdown = (output / "report.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", markdown)
    assert links and all((output / link).is_file() for link in links) and "data:image" not in markdown
    assert "## 1. Training LeNet5 on CIFAR10" in markdown and "| configuration |" in markdown and "| --- |" in markdown
    assert cli(smoke_build, "check", output=output).returncode == 0
    (output / links[0]).unlink()
    result = cli(smoke_build, "check", output=output)
    assert result.returncode == 1 and f"report.md links {links[0]}" in result.stderr

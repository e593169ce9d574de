"""Figures as PNG bytes: each function draws one figure from numbers, saves once, closes once."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; set before pyplot is imported
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 130  # sharp on paper, small enough that WeasyPrint embeds a dozen figures quickly
METRIC_TITLES = {"train_accuracy": "train accuracy", "test_accuracy": "test accuracy",
                 "train_loss": "train loss", "train_mae": "train mean absolute error",
                 "test_mae": "test mean absolute error", "train_mse": "train mean squared error",
                 "test_mse": "test mean squared error", "train_auc": "train AUC", "test_auc": "test AUC"}


def to_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight",
                   metadata={"Software": None})  # no version stamp: same numbers, same bytes
    plt.close(figure)
    return buffer.getvalue()


LOSS_CUT = 2 * np.log(10)   # twice the loss of a uniform guess over ten classes


def learning_curves(summaries, metrics=("train_accuracy", "test_accuracy", "train_loss"),
                    x_label="epoch", x_scale=1.0, loss_cut: float | None = LOSS_CUT) -> bytes:
    """One panel per metric; a line per configuration (mean over seeds) with a ±1 std band. Train
    metrics use the per-step points where the runs recorded them; test metrics one point per evaluation."""
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6))
    colours = plt.cm.tab10(np.linspace(0, 1, 10))
    for index, summary in enumerate(summaries):
        for axis, metric in zip(np.atleast_1d(axes), metrics):
            colour = colours[index % 10]
            style = "-" if index < 10 else "--"
            seen, mean, std = summary.step_curve(metric) if metric.startswith("train_") else (np.empty(0),) * 3
            if len(seen):
                x = seen / summary.params["samples_per_epoch"] * x_scale
                axis.plot(x, mean, style, color=colour, label=summary.label, linewidth=1.2)
            else:
                epochs, mean, std = summary.curve(metric)
                if not len(epochs):
                    continue
                x = epochs * x_scale
                axis.plot(x, mean, style, color=colour, label=summary.label, marker="o", markersize=3)
            axis.fill_between(x, mean - std, mean + std, color=colour, alpha=0.18, linewidth=0)
    for axis, metric in zip(np.atleast_1d(axes), metrics):
        title = METRIC_TITLES.get(metric, metric)
        if loss_cut is not None and metric.endswith("_loss") and axis.get_ylim()[1] > loss_cut:
            # one spike (a diverging rate) would flatten every other curve: cut the axis, and say so
            axis.set_ylim(bottom=max(0.0, axis.get_ylim()[0]), top=loss_cut)
            title += f" (axis cut at {loss_cut:.1f} = 2 ln 10)"
        axis.set_title(title, fontsize=10)
        axis.set_xlabel(x_label)
        axis.grid(alpha=0.3)
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(5, max(1, len(labels))),
                  fontsize=8, frameon=False, bbox_to_anchor=(0.5, -0.12))
    figure.tight_layout()
    return to_png(figure)


def accuracy_heatmap(table: np.ndarray, row_labels, column_labels, annotations, title) -> bytes:
    """table[i, j]: mean final test accuracy (nan where no seed finished)."""
    figure, axis = plt.subplots(figsize=(1.4 * len(column_labels) + 2, 0.6 * len(row_labels) + 1.6))
    image = axis.imshow(np.ma.masked_invalid(table), cmap="viridis", vmin=0, vmax=max(0.1, np.nanmax(table) if np.isfinite(table).any() else 1))
    axis.set_xticks(range(len(column_labels)), column_labels)
    axis.set_yticks(range(len(row_labels)), row_labels)
    for (i, j), text in np.ndenumerate(annotations):
        value = table[i, j]
        axis.text(j, i, text, ha="center", va="center", fontsize=8,
                  color="white" if not np.isfinite(value) or value < 0.6 * np.nanmax(table) else "black")
    axis.set_title(title)
    figure.colorbar(image, ax=axis, label="test accuracy")
    figure.tight_layout()
    return to_png(figure)


def _normalise(tile: np.ndarray) -> np.ndarray:
    """Scale one tile on its own to [0, 1]; a constant tile becomes mid-grey."""
    low, high = float(tile.min()), float(tile.max())
    return np.full_like(tile, 0.5, dtype=np.float32) if high - low < 1e-12 else (tile - low) / (high - low)


def mosaic(tiles: np.ndarray, pad: int = 1, normalise: bool = True) -> np.ndarray:
    """tiles (R, C, h, w) → one (R·(h+pad), C·(w+pad)) image, NaN between tiles (drawn white); colour
    tiles (R, C, h, w, 3) → the same with 3 channels, each tile scaled over its three channels at once."""
    rows, cols, h, w = tiles.shape[:4]
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, *tiles.shape[4:]), np.nan, dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            tile = _normalise(tiles[r, c]) if normalise else tiles[r, c]
            out[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = tile
    return out


def shared_scale(*groups: np.ndarray) -> list[np.ndarray]:
    """Filters of several states on one grey scale: 0 → mid-grey, ± the largest |weight| of all of them
    → white/black, so a filter that barely changed looks barely changed (as TensorBoard's image shows)."""
    largest = max(float(np.abs(g).max()) for g in groups) or 1.0
    return [0.5 + 0.5 * g / largest for g in groups]


def filter_mosaic(filters: np.ndarray, cols: int, pad: int = 1, normalise: bool = True) -> np.ndarray:
    """filters (n, h, w) or (n, h, w, 3) → rows of `cols` tiles (mosaic); a short last row is filled
    with blank (white) tiles."""
    rows = -(-len(filters) // cols)
    if rows * cols > len(filters):
        blank = np.full((rows * cols - len(filters),) + filters.shape[1:], np.nan, np.float32)
        filters = np.concatenate([filters.astype(np.float32), blank])
    return mosaic(filters.reshape(rows, cols, *filters.shape[1:]), pad, normalise)


def image_panels(panels: list[tuple[str, np.ndarray]], cmap="gray", colorbar_label=None,
                 width: float = 7.0, height: float = 3.2, vmin=None, vmax=None) -> bytes:
    """Side-by-side images with titles; NaN pixels show white. vmin/vmax: one scale for every panel."""
    figure, axes = plt.subplots(1, len(panels), figsize=(width, height))
    colour_map = plt.get_cmap(cmap).with_extremes(bad="white")
    for axis, (title, image) in zip(np.atleast_1d(axes), panels):
        if image.ndim == 3:   # colour: vmin/vmax do not apply to RGB, so scale here; NaN → transparent
            image = _rgba(image, vmin, vmax)
        shown = axis.imshow(image, cmap=colour_map, interpolation="nearest", vmin=vmin, vmax=vmax)
        axis.set_title(title, fontsize=9)
        axis.axis("off")
    if colorbar_label:
        figure.colorbar(shown, ax=np.atleast_1d(axes).tolist(), label=colorbar_label, shrink=0.8)
    return to_png(figure)


def _rgba(image: np.ndarray, vmin=None, vmax=None) -> np.ndarray:
    """(h, w, 3) with NaN gaps → RGBA in [0, 1], the gaps transparent (white on the page)."""
    gaps = np.isnan(image).any(axis=-1)
    low = 0.0 if vmin is None else vmin
    high = 1.0 if vmax is None else vmax
    rgb = np.clip((np.nan_to_num(image, nan=high) - low) / max(high - low, 1e-12), 0, 1)
    return np.concatenate([rgb, (~gaps)[..., None].astype(rgb.dtype)], axis=-1)


def histograms(named: list[tuple[str, np.ndarray, np.ndarray]], x_label="activation (non-zero values)") -> bytes:
    """One panel per layer: counts over bin edges, log scale."""
    figure, axes = plt.subplots(1, len(named), figsize=(4.2 * len(named), 3.0))
    for axis, (title, counts, edges) in zip(np.atleast_1d(axes), named):
        # bars rather than a filled step path: a filled path on a log axis is slow to clip
        axis.bar(edges[:-1], np.maximum(counts, 0.8), width=np.diff(edges), align="edge", alpha=0.7)
        axis.set_yscale("log")
        axis.set_ylim(bottom=0.8)
        axis.set_title(title, fontsize=9)
        axis.set_xlabel(x_label)
        axis.set_ylabel("count")
    figure.tight_layout()
    return to_png(figure)


def occlusion_figure(images: np.ndarray, maps: np.ndarray, titles: list[str]) -> bytes:
    """Each image above the map of the true class's probability under the occluder."""
    figure, axes = plt.subplots(2, len(images), figsize=(2.4 * len(images), 5.0), squeeze=False)
    for index, (image, heat, title) in enumerate(zip(images, maps, titles)):
        axes[0, index].imshow(image, cmap="gray", vmin=0, vmax=1) if image.ndim == 2 else axes[0, index].imshow(image)
        axes[0, index].set_title(title, fontsize=8)
        shown = axes[1, index].imshow(heat, cmap="magma", vmin=0, vmax=1)
        for axis in axes[:, index]:
            axis.axis("off")
    figure.colorbar(shown, ax=axes[1, :].tolist(), label="p(true class)", shrink=0.8)
    return to_png(figure)

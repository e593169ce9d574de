"""Section 3: Zeiler & Fergus's deconvnet, occlusion and feature evolution on our LeNet5."""
from __future__ import annotations

import numpy as np

from experiments.data import CIFAR_CLASS_NAMES

from .. import figures
from ..pipeline import analysis_result


def projection_mosaic(projections: np.ndarray, patches: np.ndarray) -> np.ndarray:
    """(maps, k, s, s) twice → blocks of √k×√k projections beside the matching image patches, 4 blocks a row."""
    maps, k, side, _ = projections.shape
    per_side = int(np.ceil(np.sqrt(k)))
    def square(tiles):
        padded = np.concatenate([tiles, np.zeros((per_side ** 2 - k, side, side))]) if per_side ** 2 > k else tiles
        return figures.mosaic(padded.reshape(per_side, per_side, side, side))
    blocks = [np.concatenate([square(p), np.full((square(p).shape[0], 2), np.nan), square(q)], axis=1)
              for p, q in zip(projections, patches)]
    height, width = blocks[0].shape
    per_row = 4
    rows = []
    for start in range(0, maps, per_row):
        row = blocks[start:start + per_row]
        row += [np.full((height, width), np.nan)] * (per_row - len(row))
        rows.append(np.concatenate(sum(([b, np.full((height, 4), np.nan)] for b in row), [])[:-1], axis=1))
    return np.concatenate(sum(([r, np.full((4, r.shape[1]), np.nan)] for r in rows), [])[:-1])


def occlusion_sentences(labels, unoccluded, minimum) -> list[str]:
    return [f"For the {CIFAR_CLASS_NAMES[label]} image, the network gives its true class probability {p:.2f}; "
            f"the grey square lowers it to {low:.2f} where it hurts most"
            + (" — the object, not the background, carries the decision." if low < 0.5 * p else
               " — no single region is decisive at this patch size.")
            for label, p, low in zip(labels, unoccluded, minimum)]


def build(ws, sink) -> dict:
    stored = analysis_result(ws, "deconvnet", compute_if_missing=False)
    record, arrays = stored.record, ws.store.load_arrays(stored)
    layers = {}
    for layer in ("pool1", "pool2"):
        projections, patches = arrays[f"{layer}_projections"], arrays[f"{layer}_patches"]
        layers[layer] = {
            "figure": sink.add(f"deconvnet_{layer}", figures.image_panels(
                [(f"{layer}: projections | image patches", projection_mosaic(projections, patches))],
                width=7.5, height=7.0 if layer == "pool2" else 5.0)),
            "maps": len(projections), "top": projections.shape[1], "side": projections.shape[2],
        }
    evolution = arrays["evolution"]
    labels = record["occlusion_labels"]
    return {
        "run": record["run"], "layers": layers,
        "occlusion": sink.add("deconvnet_occlusion", figures.occlusion_figure(
            arrays["occlusion_images"], arrays["occlusion_maps"],
            [CIFAR_CLASS_NAMES[label] for label in labels])),
        "occlusion_patch": ws.config["deconvnet"]["occlusion_patch"],
        "occlusion_sentences": occlusion_sentences(labels, record["occlusion_unoccluded"], record["occlusion_min"]),
        "evolution": sink.add("deconvnet_evolution", figures.image_panels(
            [("rows: pool2 feature maps; columns: epoch 0 (initialisation) to last", figures.mosaic(evolution))],
            width=min(7.5, 1.2 + 0.9 * evolution.shape[1]), height=0.9 * evolution.shape[0] + 0.6)),
        "evolution_maps": ", ".join(map(str, record["evolution_maps"])), "epochs": record["epochs"],
        "analysis_key": stored.key,
    }

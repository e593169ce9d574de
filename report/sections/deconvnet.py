"""Section 3: Zeiler & Fergus's deconvnet, occlusion and feature evolution on our LeNet5."""
from __future__ import annotations

import numpy as np

from experiments.data import CIFAR_CLASS_NAMES

from ..results import trained_lenet
from ..stats.claims import count, observation

TITLE = "Visualizing and understanding convolutional networks"
READS = ("cnn",)
ANALYSIS_CODE = ("experiments.deconvnet", "experiments.occlusion", "experiments.visualize", "experiments.models",
                 "report.results.trained_lenet",
                 "report.stats.summary", "report.stats.statistics")  # these pick the network shown


def runs(config: dict) -> list:
    return []


def _crop(image: np.ndarray, rows: slice, cols: slice, side: int) -> np.ndarray:
    """The receptive field's part of image (h, w) or (h, w, 3), zero-padded to side×side where it meets the border."""
    patch = np.zeros((side, side, *image.shape[2:]), dtype=np.float32)
    part = image[rows, cols]
    patch[: part.shape[0], : part.shape[1]] = part
    return patch


def _field_side(stack) -> int:
    from experiments.deconvnet import receptive_field

    rows, _ = receptive_field(stack, 10, 10, 10_000)
    return rows.stop - rows.start


def _project_top(model, layer: str, x, activations, channel: int, count: int):
    """The `count` test images whose strongest activation of a map, among positions whose receptive
    field lies wholly inside the image, is largest (one position per image, as in the paper):
    projections and image patches of that field, and how many images fire there at all."""
    from experiments.deconvnet import conv_stack, project, receptive_field

    stack = conv_stack(model, layer)
    side = _field_side(stack)
    inside = usable_positions(stack, activations, x.shape[1])
    values = np.where(inside[None], activations[..., channel], -np.inf).reshape(len(x), -1)
    best_position = values.argmax(axis=1)
    strength = values[np.arange(len(x)), best_position]
    top = np.argsort(-strength, kind="stable")[:count]
    rows, cols = np.unravel_index(best_position[top], activations.shape[1:3])
    projections = _shown(project(model, layer, x[top], channel, positions=(rows, cols)))
    crops, patches = [], []
    for index, image, row, col in zip(top, projections, rows, cols):
        field_rows, field_cols = receptive_field(stack, row, col, x.shape[1])
        crops.append(_crop(image, field_rows, field_cols, side))
        patches.append(_crop(_shown(x[index]), field_rows, field_cols, side))
    return np.stack(crops), np.stack(patches), int((strength > 0).sum()), (rows, cols)


def _shown(images: np.ndarray) -> np.ndarray:
    """Images (…, h, w, channels) as drawn: grey ones without their channel axis, colour ones as they are."""
    return images[..., 0] if images.shape[-1] == 1 else images


def usable_positions(stack, activations: np.ndarray, side: int) -> np.ndarray:
    """The positions whose receptive field lies wholly inside the image; every position where none does
    (a deep layer whose field is larger than the image: the report says so)."""
    from experiments.deconvnet import inside_positions

    inside = inside_positions(stack, activations.shape[1], activations.shape[2], side)
    return inside if inside.any() else np.ones_like(inside)


def analyse(inputs, settings: dict):
    from experiments.deconvnet import conv_stack, forward, inside_positions
    from experiments.network import network_of, pool_layer_names
    from experiments.occlusion import occlusion_map
    from experiments.visualize import one_image_per_class

    record = trained_lenet.best_run(inputs.records["cnn"])
    network = network_of(record["params"])
    pools = pool_layer_names(network)
    model, arrays = trained_lenet.load(inputs, record)
    x_test, y_test = trained_lenet.test_inputs(inputs, record)
    outputs = forward(conv_stack(model, pools[-1]), x_test)[0]
    pooled = {pool: outputs[2 * i + 1] for i, pool in enumerate(pools)}
    out, chosen_maps, firing, reaching = {}, {}, {}, []
    for layer, values in pooled.items():
        # the maps that fire most strongly inside the image; dead maps would project to nothing
        stack = conv_stack(model, layer)
        if not inside_positions(stack, values.shape[1], values.shape[2], x_test.shape[1]).any():
            reaching.append(layer)
        inside = usable_positions(stack, values, x_test.shape[1])
        order = np.argsort(-values[:, inside].max(axis=(0, 1)), kind="stable")
        maps = order[: min(settings["feature_maps"], values.shape[-1])]
        chosen_maps[layer] = maps.tolist()
        tops = [_project_top(model, layer, x_test, values, int(c), settings["top_images"]) for c in maps]
        out[f"{layer}_projections"] = np.stack([t[0] for t in tops])
        out[f"{layer}_patches"] = np.stack([t[1] for t in tops])
        out[f"{layer}_positions"] = np.stack([np.stack(t[3], axis=1) for t in tops])  # (maps, k, 2) row, col
        firing[layer] = [t[2] for t in tops]

    occluded = one_image_per_class(y_test, 1)[: settings["occlusion_images"]]
    grey = float(inputs.dataset(record["dataset"]).x_train.mean() / 255.0)
    out["occlusion_images"] = _shown(x_test[occluded])
    out["occlusion_maps"] = np.stack([occlusion_map(model, x_test[i], int(y_test[i]), settings["occlusion_patch"], grey)
                                      for i in occluded])
    probabilities = model.predict(x_test[occluded], verbose=0)

    last = pools[-1]
    evolution_maps = chosen_maps[last][: settings["evolution_maps"]]
    epochs = arrays["snapshot_conv1_kernel"].shape[0]
    frames = []
    for epoch in range(epochs):
        snapshot, _ = trained_lenet.load(inputs, record, snapshot_epoch=epoch)
        # the conv stack run eagerly: no predict function to trace for each snapshot
        values = forward(conv_stack(snapshot, last), x_test)[0][-1]
        frames.append(np.stack([_project_top(snapshot, last, x_test, values, c, 1)[0][0] for c in evolution_maps]))
    out["evolution"] = np.stack(frames, axis=1)  # (maps, epochs, side, side[, 3])

    import tensorflow as tf

    true_probability = tf.nn.softmax(probabilities).numpy()[np.arange(len(occluded)), y_test[occluded]]
    record_out = {"run": {"label": record["label"], "seed": record["seed"], "key": record["key"]},
                  "maps": chosen_maps, "firing_inside": firing, "evolution_maps": evolution_maps, "epochs": epochs - 1,
                  "pools": pools, "activation": network["activation"], "padding": network["padding"],
                  "padding_reached": reaching,
                  "occlusion_labels": y_test[occluded].tolist(), "occlusion_patch": settings["occlusion_patch"],
                  "occlusion_unoccluded": true_probability.tolist(), "grey": grey}
    return record_out, out


ROWS, COLUMNS = ("upper", "middle", "lower"), ("left", "centre", "right")
DECISIVE = 0.05   # a largest drop below this much probability: no position of the square matters


def region(row: int, col: int, side: int) -> str:
    """Which ninth of the image a pixel is in: 'the centre', 'the upper-left part', …"""
    vertical, horizontal = ROWS[min(2, 3 * row // side)], COLUMNS[min(2, 3 * col // side)]
    if vertical == "middle" and horizontal == "centre":
        return "the centre"
    if vertical == "middle":
        return f"the middle of the {horizontal} edge"
    if horizontal == "centre":
        return f"the middle of the {vertical} edge"
    return f"the {vertical}-{horizontal} corner"


def occlusion_claims(labels, unoccluded, maps) -> list:
    """What the occlusion maps show, and only that: where the square lowers the true class's probability
    most, by how much, and over how much of the image. mkreport does not know where the object is."""
    claims = []
    for label, p, heat in zip(labels, unoccluded, maps):
        heat = np.asarray(heat)
        low = float(heat.min())
        row, col = np.unravel_index(int(np.argmin(heat)), heat.shape)
        drop = p - low
        lead = f"For the {CIFAR_CLASS_NAMES[label]} image (true class probability {p:.2f} unoccluded), "
        if drop < DECISIVE:
            claims.append(observation(lead + f"the grey square changes that probability by at most {max(drop, 0):.2f} "
                                      "wherever it is centred: no single region moves the decision at this patch size."))
            continue
        area = float((heat < p - drop / 2).mean())
        claims.append(observation(
            lead + f"the grey square lowers it most, to {low:.2f}, when centred at row {row}, column {col} "
            f"({region(row, col, heat.shape[0])}); the positions that lower it by at least half as much cover "
            f"{area:.0%} of the image."))
    return claims


def summarize(records: dict, analysis, settings: dict) -> dict:
    record, arrays = analysis.record, analysis.arrays
    labels = record["occlusion_labels"]
    return {
        "run": record["run"], "arrays": arrays,
        "layers": {layer: {"maps": len(arrays[f"{layer}_projections"]),
                           "top": arrays[f"{layer}_projections"].shape[1],
                           "side": arrays[f"{layer}_projections"].shape[2],
                           "few": [f"map {m} fires inside the image on {count(n, 'test image')} only"
                                   for m, n in zip(record["maps"][layer], record["firing_inside"][layer])
                                   if n < arrays[f"{layer}_projections"].shape[1]]}
                   for layer in record["pools"]},
        "pools": record["pools"], "last_pool": record["pools"][-1],
        "tanh": record["activation"] == "tanh", "valid": record["padding"] == "valid",
        "padding_reached": record["padding_reached"],
        "side": arrays["occlusion_images"].shape[1],
        "occlusion_classes": [CIFAR_CLASS_NAMES[label] for label in labels],
        "occlusion_patch": record["occlusion_patch"],
        "claims": occlusion_claims(labels, record["occlusion_unoccluded"], arrays["occlusion_maps"]),
        "evolution_maps": ", ".join(map(str, record["evolution_maps"])), "epochs": record["epochs"],
    }


def projection_mosaic(projections: np.ndarray, patches: np.ndarray, per_row: int) -> np.ndarray:
    """(maps, k, s, s) twice → blocks of √k×√k projections beside the matching image patches, per_row blocks a row."""
    from ..output.figures import mosaic

    maps, k, side = projections.shape[:3]
    channels = projections.shape[4:]   # () grey, (3,) colour
    per_side = int(np.ceil(np.sqrt(k)))

    def square(tiles):
        filler = np.zeros((per_side ** 2 - k, side, side, *channels))
        padded = np.concatenate([tiles, filler]) if per_side ** 2 > k else tiles
        return mosaic(padded.reshape(per_side, per_side, side, side, *channels))

    def blank(height, width):
        return np.full((height, width, *channels), np.nan)

    blocks = [np.concatenate([square(p), blank(square(p).shape[0], 2), square(q)], axis=1)
              for p, q in zip(projections, patches)]
    height, width = blocks[0].shape[:2]
    rows = []
    for start in range(0, maps, per_row):
        row = blocks[start:start + per_row]
        row += [blank(height, width)] * (per_row - len(row))
        rows.append(np.concatenate(sum(([b, blank(height, 4)] for b in row), [])[:-1], axis=1))
    return np.concatenate(sum(([r, blank(4, r.shape[1])] for r in rows), [])[:-1])


def figures(summary: dict) -> dict[str, bytes]:
    from ..output import figures as draw

    arrays = summary["arrays"]
    # large enough to read a 6×6 (pool1) or 16×16 (pool2) patch in print: two blocks a row
    out = {layer: draw.image_panels(
        [(f"{layer}: projections | image patches", projection_mosaic(arrays[f"{layer}_projections"],
                                                                     arrays[f"{layer}_patches"], 2))],
        width=7.5, height=8.4 * min(1.0, -(-len(arrays[f"{layer}_projections"]) // 2) / 8))
        for layer in summary["pools"]}
    out["occlusion"] = draw.occlusion_figure(arrays["occlusion_images"], arrays["occlusion_maps"],
                                             summary["occlusion_classes"])
    evolution = arrays["evolution"]
    out["evolution"] = draw.image_panels(
        [(f"rows: {summary['last_pool']} feature maps; columns: epoch 0 (initialisation) to last",
          draw.mosaic(evolution))],
        width=min(7.5, 1.2 + 0.9 * evolution.shape[1]), height=0.9 * evolution.shape[0] + 0.6)
    return out

import json
import os

import numpy as np
import pytest

from report.results import store as store_module
from report.results.store import CorruptResult, Store, make_key


def test_round_trip_with_arrays(tmp_path):
    store = Store(tmp_path)
    record = {"run_id": "cnn/a/seed=0", "state": "done", "metrics": [{"epoch": 1, "test_accuracy": 0.5}]}
    weights = np.arange(12, dtype=np.float32).reshape(3, 4)
    store.save("cnn", "k1", record, {"weight_00": weights})
    stored = store.load("cnn", "k1")
    assert stored.record["metrics"] == record["metrics"] and stored.state == "done"
    np.testing.assert_array_equal(store.load_arrays(stored)["weight_00"], weights)


def test_missing_result_is_none(tmp_path):
    assert Store(tmp_path).load("cnn", "absent") is None


def test_keys_change_with_any_input():
    base = make_key("run", {"learning_rate": 0.01}, 0, "data", "code")
    assert base == make_key("run", {"learning_rate": 0.01}, 0, "data", "code")
    assert base != make_key("run", {"learning_rate": 0.001}, 0, "data", "code")
    assert base != make_key("run", {"learning_rate": 0.01}, 1, "data", "code")
    assert base != make_key("run", {"learning_rate": 0.01}, 0, "other data", "code")
    assert base != make_key("run", {"learning_rate": 0.01}, 0, "data", "other code")


@pytest.mark.parametrize("damage", ["edit value", "truncate", "empty", "edit arrays", "delete arrays"])
def test_damaged_results_are_reported_corrupt(tmp_path, damage):
    store = Store(tmp_path)
    store.save("cnn", "k1", {"state": "done", "metrics": [{"test_accuracy": 0.5}]}, {"w": np.ones(100)})
    path, arrays = store.record_path("cnn", "k1"), store.arrays_path("cnn", "k1")
    if damage == "edit value":
        path.write_text(path.read_text().replace("0.5", "0.9"))
    if damage == "truncate":
        path.write_text(path.read_text()[:40])
    if damage == "empty":
        path.write_text("")
    if damage in ("edit arrays", "delete arrays"):
        stored = store.load("cnn", "k1")
        if damage == "delete arrays":
            arrays.unlink()
            with pytest.raises(CorruptResult):
                store.load("cnn", "k1")
            return
        data = bytearray(arrays.read_bytes())
        data[-30] ^= 0xFF
        arrays.write_bytes(bytes(data))
        with pytest.raises(CorruptResult):
            store.load_arrays(stored)
        return
    with pytest.raises(CorruptResult):
        store.load("cnn", "k1")


def test_a_write_killed_midway_leaves_the_old_result_and_no_temporary(tmp_path, monkeypatch):
    store = Store(tmp_path)
    store.save("cnn", "k1", {"state": "done", "value": 1})

    def crash(*args):
        raise KeyboardInterrupt  # as if the process were killed between writing and renaming

    monkeypatch.setattr(store_module.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.save("cnn", "k1", {"state": "done", "value": 2})
    monkeypatch.undo()
    assert store.load("cnn", "k1").record["value"] == 1
    assert [p.name for p in (tmp_path / "store" / "cnn").iterdir()] == ["k1.json"]


def test_second_writer_is_refused(tmp_path):
    from report.errors import MkreportError

    store = Store(tmp_path)
    with store.lock():
        with pytest.raises(MkreportError, match="another mkreport is using"):
            with Store(tmp_path).lock():
                pass
    with Store(tmp_path).lock():  # released: usable again
        pass


def test_results_are_plain_json_without_nan(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(ValueError):
        store.save("cnn", "k1", {"state": "done", "loss": float("nan")})
    assert not store.record_path("cnn", "k1").exists()
    store.save("cnn", "k2", {"state": "diverged", "loss": None})
    assert json.loads(store.record_path("cnn", "k2").read_text())["record"]["loss"] is None
    assert os.listdir(tmp_path / "store" / "cnn") == ["k2.json"]

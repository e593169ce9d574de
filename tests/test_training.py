"""experiments.training: what one run measures, on real MNIST."""
import numpy as np
import pytest


@pytest.mark.slow
def test_curve_points_use_the_subset_and_the_last_point_all_test_images(data_dir):
    import keras

    from experiments.data import load_mnist
    from experiments.models import build_model
    from experiments.training import fixed_test_subset, to_inputs, train_run

    data = load_mnist(data_dir)
    params = {"model": "rnn", "cell": "rnn", "hidden_size": 64, "optimizer": "adam", "learning_rate": 1e-3,
              "epochs": 3, "batch_size": 64, "samples_per_epoch": 256, "test_samples": 600,
              "curve_test_samples": 200}
    result = train_run(params, 0, data)
    assert [m["test_images"] for m in result["metrics"]] == [200, 200, 600]
    assert result["threads"] >= 1

    # the last point is the trained model's accuracy on all 600 fixed test images, recomputed here
    model = build_model(params)
    model.set_weights(result["weights"])
    rows = fixed_test_subset(data, 600)
    predicted = np.argmax(model.predict(to_inputs(data.x_test[rows], "rnn"), verbose=0), axis=1)
    assert result["metrics"][-1]["test_accuracy"] == pytest.approx(np.mean(predicted == data.y_test[rows]), abs=1e-6)
    assert set(fixed_test_subset(data, 200)) <= set(rows)  # the curve subset is part of the full set
    keras.backend.clear_session()

"""The data-backed networks: the data sets shipped with scikit-learn (split, standardisation, provenance),
the multilayer perceptron's loss and backpropagated gradient, its Hessian-vector product, and bad input."""

import numpy as np
import pytest

import functions
from functions.datasets import DATASETS, TEST_FRACTION, load, stratified_split
from functions.mlp import MAX_HIDDEN_LAYERS, MAX_WIDTH, MultilayerPerceptron, network
from functions.objective import hessian_vector_product

FD_STEP = 1e-6
FD_TOLERANCE = 1e-6


@pytest.mark.parametrize(("name", "samples", "features", "classes"), [("digits", 1797, 64, 10),
                                                                      ("breast-cancer", 569, 30, 2)])
def test_data_sets_are_split_by_class_and_standardised_on_the_training_part(name, samples, features, classes):
    data = load(name)
    assert data.train_inputs.shape[0] + data.test_inputs.shape[0] == samples
    assert data.features == features and data.classes == classes
    labels = np.concatenate([data.train_labels, data.test_labels])
    for label in range(classes):  # each class holds out round(20%) of its members
        assert (data.test_labels == label).sum() == round(TEST_FRACTION * (labels == label).sum())
    spread = data.train_inputs.std(axis=0)
    assert np.allclose(data.train_inputs.mean(axis=0), 0.0, atol=1e-12)
    assert np.allclose(spread[spread > 0], 1.0) and np.all((spread == 0) | np.isclose(spread, 1.0))
    assert "scikit-learn" in data.provenance and DATASETS[name][0] in data.provenance
    assert not data.train_inputs.flags.writeable  # the cached split cannot be changed by a caller


def test_the_split_is_fixed_by_its_seed():
    labels = np.repeat(np.arange(3), [10, 20, 31])
    first, second = stratified_split(labels, 0.2, seed=4), stratified_split(labels, 0.2, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    other = stratified_split(labels, 0.2, seed=5)
    assert not np.array_equal(first[1], other[1])
    assert np.array_equal(np.sort(np.concatenate(first)), np.arange(labels.size))  # a partition


def _small_network(activation="tanh", l2=0.0, widths=(5, 4, 3, 3)):
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((17, widths[0]))
    labels = rng.integers(0, widths[-1], size=17)
    return MultilayerPerceptron(widths, activation, l2, inputs, labels)


def test_loss_at_zero_parameters_is_log_of_the_number_of_classes():
    net = _small_network(widths=(5, 4, 7))
    assert net.value(np.zeros((2, net.dimension))) == pytest.approx([np.log(7)] * 2, rel=1e-15)
    assert net.dimension == 5 * 4 + 4 + 4 * 7 + 7


@pytest.mark.parametrize(("activation", "l2"), [("tanh", 0.0), ("tanh", 0.3), ("relu", 0.0)])
def test_backpropagation_matches_central_differences(activation, l2):
    net = _small_network(activation, l2)
    rng = np.random.default_rng(1)
    # nonzero biases: with the starts' zero biases a ReLU unit fed by an all-zero layer sits exactly on its kink
    theta = net.sample_parameters(rng, 3) + 0.1 * rng.standard_normal((3, net.dimension))
    gradient = net.gradient(theta)
    columns = []
    for j in range(net.dimension):
        step = np.zeros(net.dimension)
        step[j] = FD_STEP
        columns.append((net.value(theta + step) - net.value(theta - step)) / (2 * FD_STEP))
    np.testing.assert_allclose(gradient, np.stack(columns, axis=1), atol=FD_TOLERANCE)
    # a batch of rows is the rows one at a time, and a mini-batch is the mean over its samples
    np.testing.assert_array_equal(gradient[1], net.gradient(theta[1:2])[0])
    rows = np.array([0, 3, 8])
    per_sample = np.mean([net.value(theta, np.array([r])) for r in rows], axis=0)
    np.testing.assert_allclose(net.value(theta, rows), per_sample, rtol=1e-13)


def test_hessian_vector_product_matches_the_hessian():
    objective = functions.get("mlp-data-tanh", dataset="breast-cancer", hidden="3")
    X = objective.sample_starts(np.random.default_rng(2), 2)
    V = np.random.default_rng(3).standard_normal(X.shape)
    exact = np.einsum("bij,bj->bi", objective.hess(X), V)
    np.testing.assert_allclose(hessian_vector_product(objective.grad, X, V), exact, rtol=1e-4,
                               atol=1e-6 * np.abs(exact).max())
    assert not hessian_vector_product(objective.grad, X, np.zeros_like(X)).any()


def test_accuracy_counts_the_largest_logit():
    net = _small_network(widths=(5, 3))
    theta = np.zeros((1, net.dimension))
    theta[0, -3:] = [0.0, 1.0, 0.0]  # bias of class 1 largest: every sample is called 1
    assert net.accuracy(theta, net.inputs, net.labels)[0] == pytest.approx(np.mean(net.labels == 1))


def test_registry_entries_state_their_data_and_shape():
    objective = functions.get("mlp-data-relu", dataset="breast-cancer", hidden="4-3", l2=0.01)
    assert objective.n == 30 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2
    assert objective.params == {"dataset": "breast-cancer", "hidden": "4-3", "l2": 0.01, "seed": 0}
    assert "Wisconsin" in objective.reference and objective.bounded_iterates is True
    assert not objective.analytic and functions.get("mlp-data-tanh").analytic
    batch = objective.minibatch(32, seed=1)
    assert batch.sample_count == 456 and batch.rows.size == 32
    default = functions.get("mlp-data-tanh")
    assert default.n == 64 * 32 + 32 + 32 * 10 + 10 and default.params["dataset"] == "digits"


@pytest.mark.parametrize(("params", "message"), [
    ({"dataset": "mnist"}, "dataset must be one of digits, breast-cancer"),
    ({"hidden": str(MAX_WIDTH + 1)}, f"1 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_WIDTH} units"),
    ({"hidden": "-".join(["8"] * (MAX_HIDDEN_LAYERS + 1))}, "layers of 1 to"),
    ({"hidden": "0"}, "layers of 1 to"),
    ({"hidden": "wide"}, "hidden must be layer widths"),
    ({"l2": -1.0}, "l2 must be >= 0"),
])
def test_bad_shapes_and_names_are_refused_before_the_data_is_read(params, message, monkeypatch):
    import functions.mlp as mlp

    def no_data(*args, **kwargs):
        raise AssertionError("data read before validation")

    monkeypatch.setattr(mlp, "load", no_data)
    network.cache_clear()
    with pytest.raises(ValueError, match=message):
        functions.get("mlp-data-tanh", **params)
    network.cache_clear()


def test_a_batch_larger_than_the_data_is_refused():
    objective = functions.get("mlp-data-tanh", dataset="breast-cancer", hidden="2")
    with pytest.raises(ValueError, match="batch_size must be in"):
        objective.minibatch(457, 0)


@pytest.mark.parametrize(("argv", "message"), [
    (["--param", "dataset=mnist"], "dataset must be one of digits, breast-cancer"),
    (["--param", "hidden=64-64-64-64-64"], "layers of 1 to 256 units"),
    (["--param", "hidden=1024"], "layers of 1 to 256 units"),
])
def test_the_command_line_refuses_bad_networks_with_exit_2(capsys, argv, message):
    from armijo_suite.cli import main

    code = main(["check", "--function", "mlp-data-tanh", *argv])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert message in captured.err and len(captured.err.strip().splitlines()) == 1

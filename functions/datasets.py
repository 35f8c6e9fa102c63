"""Real data sets shipped inside scikit-learn (no download), standardised, split with a seed.

Two small classification sets that scikit-learn installs with the package (its
``sklearn/datasets/data`` folder), so every run reads the same bytes on every machine:

* ``digits`` (default): :func:`sklearn.datasets.load_digits`, 1797 grey-level images of
  8 x 8 pixels (values 0..16) of hand-written digits, 10 classes; a copy of the test set
  of the UCI "Optical Recognition of Handwritten Digits" data (Alpaydin and Kaynak, 1998).
* ``breast-cancer``: :func:`sklearn.datasets.load_breast_cancer`, the Wisconsin
  Diagnostic Breast Cancer data (Street, Wolberg and Mangasarian, 1993): 569 tumours,
  30 real features computed from a digitised image, 2 classes (212 malignant, 357 benign).

:func:`load` splits each class apart with a seeded permutation (stratified: both parts
keep the class proportions to within one sample per class), then standardises every
feature with the mean and standard deviation of the *training* part only (a feature that
is constant on the training part, such as the always-blank corner pixels of the digits,
is only centred).  The test part never enters a loss: it serves the test accuracy.

>>> data = load("digits")
>>> data.train_inputs.shape, data.test_inputs.shape, data.classes
((1438, 64), (359, 64), 10)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

#: Name -> (scikit-learn loader, what it is).
DATASETS = {
    "digits": ("load_digits",
               "1797 hand-written digits, 8 x 8 grey levels 0..16, 10 classes: a copy of the test set of the UCI "
               "Optical Recognition of Handwritten Digits data (E. Alpaydin and C. Kaynak, 1998)"),
    "breast-cancer": ("load_breast_cancer",
                      "569 tumours, 30 real features of a digitised fine-needle aspirate image, 2 classes "
                      "(212 malignant, 357 benign): the Wisconsin Diagnostic Breast Cancer data (W. N. Street, "
                      "W. H. Wolberg and O. L. Mangasarian, 1993)"),
}
#: Share of every class held out for the test accuracy.
TEST_FRACTION = 0.2


@dataclass(frozen=True, kw_only=True, eq=False)
class DataSplit:
    """A standardised, stratified train/test split of one data set.

    Attributes
    ----------
    name : str
        Key of :data:`DATASETS`.
    provenance : str
        Where the numbers come from: the scikit-learn loader and version, and the source.
    classes : int
        Number of classes ``C``; labels are ``0 .. C-1``.
    train_inputs, test_inputs : numpy.ndarray
        Standardised features, shapes ``(N_train, d)`` and ``(N_test, d)``.
    train_labels, test_labels : numpy.ndarray of int
        Class labels.
    seed : int
        Seed of the split.
    """

    name: str
    provenance: str
    classes: int
    train_inputs: np.ndarray
    train_labels: np.ndarray
    test_inputs: np.ndarray
    test_labels: np.ndarray
    seed: int

    @property
    def features(self):
        """Number of input features ``d``."""
        return int(self.train_inputs.shape[1])


def check_name(name):
    """Return ``name`` if it is a data set of :data:`DATASETS`, else raise a one-line ``ValueError``."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; available (shipped with scikit-learn): {', '.join(DATASETS)}")
    return name


def stratified_split(labels, test_fraction, seed):
    """Indices ``(train, test)``: per class a seeded permutation, ``round(test_fraction * count)`` to test.

    Both index arrays are sorted, so the samples keep the order of the source file.
    """
    rng = np.random.default_rng(seed)
    train, test = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        held_out = int(round(test_fraction * members.size))
        test.append(members[:held_out])
        train.append(members[held_out:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


@functools.lru_cache(maxsize=16)
def load(name="digits", seed=0):
    """The data set ``name`` split with ``seed`` and standardised on its training part (cached).

    Parameters
    ----------
    name : str
        ``"digits"`` or ``"breast-cancer"``.
    seed : int
        Seed of the stratified split (:data:`TEST_FRACTION` of every class is held out).

    Returns
    -------
    DataSplit

    Raises
    ------
    ValueError
        For a name that is not in :data:`DATASETS`.
    """
    check_name(name)
    import sklearn
    from sklearn import datasets

    loader, source = DATASETS[name]
    bunch = getattr(datasets, loader)()
    inputs = np.asarray(bunch.data, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    train, test = stratified_split(labels, TEST_FRACTION, seed)
    mean = inputs[train].mean(axis=0)
    scale = inputs[train].std(axis=0)
    scale[scale == 0.0] = 1.0
    standardised = (inputs - mean) / scale
    provenance = (f"scikit-learn {sklearn.__version__} sklearn.datasets.{loader}() (shipped with the package, no "
                  f"download): {source}; stratified split seed {seed}, {TEST_FRACTION:.0%} of each class held out "
                  f"({train.size} train, {test.size} test); features standardised with the training mean and "
                  "standard deviation")
    parts = {"train_inputs": standardised[train], "train_labels": labels[train],
             "test_inputs": standardised[test], "test_labels": labels[test]}
    for array in parts.values():  # shared by every caller of the cache
        array.setflags(write=False)
    return DataSplit(name=name, provenance=provenance, classes=int(labels.max()) + 1, seed=seed, **parts)

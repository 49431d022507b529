#!/usr/bin/env python3
"""Regenerates every scikit-learn reference value used by tessera-cluster's tests.

    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python crates/tessera-cluster/tests/reference/make_reference.py

Writes, next to the tests (tests/data/):
  iris.csv, wine.csv, blobs.csv  the inputs, every float written so it parses back exactly
  reference.json                 what scikit-learn computes on them

The Rust tests read these files and never need Python. Values were produced with the
versions recorded under "versions" in reference.json.
"""
import json
import pathlib

import numpy as np
import scipy
import sklearn
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.datasets import load_iris, load_wine, make_blobs
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.metrics import (
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
    silhouette_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

DATA = pathlib.Path(__file__).resolve().parent.parent / "data"


def write_csv(path, header, rows, labels):
    """repr() of a Python float is the shortest text that parses back to the same double."""
    with open(path, "w") as f:
        f.write(",".join(header) + ",label\n")
        for row, label in zip(rows, labels):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")


def floats(a):
    return [float(v) for v in np.asarray(a).ravel()]


def matrix(a):
    return [floats(r) for r in np.asarray(a)]


def ints(a):
    return [int(v) for v in np.asarray(a).ravel()]


def kmeans_given_init(X, k, seed):
    """Lloyd from fixed rows as initial centroids: the whole run is deterministic, so labels,
    n_iter and inertia can be compared exactly (not just the quality of a local optimum)."""
    rows = np.random.RandomState(seed).choice(len(X), k, replace=False)
    km = KMeans(n_clusters=k, init=X[rows], n_init=1, max_iter=300, tol=1e-4,
                algorithm="lloyd").fit(X)
    return {"k": k, "init_rows": ints(rows), "labels": ints(km.labels_),
            "inertia": float(km.inertia_), "n_iter": int(km.n_iter_),
            "centroids": matrix(km.cluster_centers_)}


def kmeans_best(X, k):
    """How good k-means++ with restarts gets: the best inertia over 100 single starts (taken as
    the optimum), how often a single start reaches it, and the median inertia of
    KMeans(n_init=10) over random_state 0..19 (what a user typically gets)."""
    single = [KMeans(n_clusters=k, n_init=1, random_state=s).fit(X).inertia_ for s in range(100)]
    best = min(single)
    hits = sum(1 for v in single if v <= best * (1 + 1e-9)) / len(single)
    restarts = [KMeans(n_clusters=k, n_init=10, random_state=s).fit(X).inertia_ for s in range(20)]
    return {"k": k, "inertia": float(best), "single_start_hit_rate": hits,
            "n_init10_median": float(np.median(restarts))}


def metrics(X, labels):
    return {"labels": ints(labels),
            "silhouette": float(silhouette_score(X, labels)),
            "silhouette_samples_head": floats(silhouette_samples(X, labels)[:20]),
            "davies_bouldin": float(davies_bouldin_score(X, labels)),
            "calinski_harabasz": float(calinski_harabasz_score(X, labels))}


def agglomerative(X, ks):
    out = []
    for linkage in ["ward", "average", "complete", "single"]:
        for k in ks:
            labels = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit_predict(X)
            out.append({"linkage": linkage, "k": k, "labels": ints(labels)})
    return out


def dbscan(X, params):
    out = []
    for eps, min_samples in params:
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(X)
        out.append({"eps": eps, "min_samples": min_samples, "labels": ints(labels)})
    return out


def pca(X, n_rows=10):
    p = PCA().fit(X)
    two = PCA(n_components=2).fit(X)
    return {"explained_variance": floats(p.explained_variance_),
            "explained_variance_ratio": floats(p.explained_variance_ratio_),
            "components": matrix(p.components_),
            "mean": floats(p.mean_),
            "transform_2d_head": matrix(two.transform(X[:n_rows]))}


def scalers(X):
    return {"standard": matrix(StandardScaler().fit_transform(X)),
            "robust": matrix(RobustScaler().fit_transform(X)),
            "minmax": matrix(MinMaxScaler().fit_transform(X))}


def with_missing(X):
    """Every 7th cell (row-major) set to NaN, then imputed and standardised as a pipeline."""
    Xm = X.copy()
    Xm.ravel()[::7] = np.nan
    out = {"nan_every": 7}
    for strategy in ["mean", "median"]:
        pipe = make_pipeline(SimpleImputer(strategy=strategy), StandardScaler())
        out[strategy + "_standard"] = matrix(pipe.fit_transform(Xm))
    return out


def main():
    iris = load_iris()
    wine = load_wine()
    blobs_x, blobs_y = make_blobs(n_samples=600, centers=5, n_features=3, cluster_std=1.2,
                                  random_state=7)
    write_csv(DATA / "iris.csv", ["sepal_length", "sepal_width", "petal_length", "petal_width"],
              iris.data, iris.target)
    write_csv(DATA / "wine.csv", wine.feature_names, wine.data, wine.target)
    write_csv(DATA / "blobs.csv", ["x0", "x1", "x2"], blobs_x, blobs_y)

    wine_scaled = StandardScaler().fit_transform(wine.data)
    iris_km = KMeans(n_clusters=3, n_init=10, random_state=0).fit(iris.data)

    ref = {
        "versions": {"sklearn": sklearn.__version__, "numpy": np.__version__,
                     "scipy": scipy.__version__},
        "iris": {
            "kmeans3": {"inertia": float(iris_km.inertia_), **metrics(iris.data, iris_km.labels_)},
            "truth_metrics": metrics(iris.data, iris.target),
            "kmeans_given_init": [kmeans_given_init(iris.data, k, 1) for k in [2, 3, 4, 5]],
            "kmeans_best": [kmeans_best(iris.data, k) for k in [2, 3]],
            "pca": pca(iris.data),
            "dbscan": dbscan(iris.data, [(0.5, 5), (0.4, 3), (0.8, 10)]),
            "agglomerative": agglomerative(iris.data, [2, 3, 5]),
            "scalers": scalers(iris.data),
        },
        "wine_scaled": {
            "truth_metrics": metrics(wine_scaled, wine.target),
            "kmeans_given_init": [kmeans_given_init(wine_scaled, k, 2) for k in [2, 3, 4, 5, 6]],
            "kmeans_best": [kmeans_best(wine_scaled, k) for k in [2, 3, 4, 5, 6]],
            "pca": pca(wine_scaled),
            "dbscan": dbscan(wine_scaled, [(2.0, 5), (2.2, 3), (2.4, 5)]),
            "agglomerative": agglomerative(wine_scaled, [2, 3, 4, 6]),
        },
        "wine_raw": {"scalers": scalers(wine.data), "missing": with_missing(wine.data)},
        "blobs": {
            "truth_metrics": metrics(blobs_x, blobs_y),
            "kmeans_given_init": [kmeans_given_init(blobs_x, k, 3) for k in [3, 5, 8]],
            "kmeans_best": [kmeans_best(blobs_x, k) for k in [2, 3, 4, 5, 6, 7, 8]],
            "pca": pca(blobs_x),
            "dbscan": dbscan(blobs_x, [(0.8, 5), (1.0, 5), (0.6, 4)]),
            "agglomerative": agglomerative(blobs_x, [2, 3, 5, 8]),
            "scalers": scalers(blobs_x),
        },
    }
    with open(DATA / "reference.json", "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

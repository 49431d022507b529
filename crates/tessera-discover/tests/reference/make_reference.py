"""Reference values for tessera-discover's statistics, computed with SciPy.

Run: python3 -m venv /tmp/disc && /tmp/disc/bin/pip install scipy numpy
     /tmp/disc/bin/python make_reference.py > reference.json
The Rust tests (tests/statistics.rs) read reference.json and need no Python.
"""
import json

import numpy as np
from scipy import stats

out = {"versions": {"scipy": __import__("scipy").__version__, "numpy": np.__version__}}

# Distributions: points where the tails and large degrees of freedom matter.
out["normal_cdf"] = [[z, float(stats.norm.cdf(z))] for z in [-8.0, -3.5, -1.96, -0.5, 0.0, 0.3, 1.0, 2.5, 6.0]]
out["t_two_sided"] = [
    [t, df, float(2 * stats.t.sf(abs(t), df))]
    for t, df in [(0.0, 5.0), (0.5, 1.0), (2.0, 3.0), (2.5, 7.5), (-3.1, 12.0), (1.3, 40.3),
                  (4.0, 200.0), (2.0, 1e5), (6.0, 30.0), (10.0, 1000.0)]
]

# Welch's t-test (scipy.stats.ttest_ind with equal_var=False), segment against the rest.
welch = []
cases = [
    ([23, 25, 31, 34, 29, 27], [45, 52, 38, 61, 49, 55, 42, 58]),
    ([1.5, 2.25, 0.0, 3.0, 1.0], [0.5, 0.0, 0.25, 1.0, 0.0, 0.75, 0.5]),
    ([100.0, 101.0], [99.0, 102.0, 98.5, 100.5]),
]
for a, b in cases:
    r = stats.ttest_ind(a, b, equal_var=False)
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    welch.append({"a": a, "b": b, "t": float(r.statistic), "df": float(df), "p": float(r.pvalue)})
out["welch"] = welch

# Pooled two-proportion z-test (statsmodels' proportions_ztest default), z by the textbook
# formula and the p-value from SciPy's normal survival function.
z_tests = []
for x1, n1, x2, n2 in [(3, 6, 1, 8), (45, 100, 30, 120), (520, 1000, 480, 1000), (2, 2000, 9, 1800)]:
    p = (x1 + x2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / se
    z_tests.append({"x1": x1, "n1": n1, "x2": x2, "n2": n2, "z": float(z), "p": float(2 * stats.norm.sf(abs(z)))})
out["z_tests"] = z_tests

print(json.dumps(out, indent=1))

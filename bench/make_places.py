"""100 (or N) places for the geo benchmark: the chain's stores and more around its cities.

Deterministic (seeded), so every run measures the same places. Usage:
    make_places.py STORES_CSV N > places.csv
"""
import csv
import random
import sys

stores = list(csv.DictReader(open(sys.argv[1])))
n = int(sys.argv[2])
rng = random.Random(7)
out = csv.writer(sys.stdout)
out.writerow(["name", "lat", "lon", "tags"])
for s in stores:
    out.writerow([s["name"], s["lat"], s["lon"], s["tags"]])
for i in range(n - len(stores)):
    base = stores[i % len(stores)]
    lat = float(base["lat"]) + rng.uniform(-0.3, 0.3)
    lon = float(base["lon"]) + rng.uniform(-0.3, 0.3)
    out.writerow([f"extra-{i:03d}", f"{lat:.5f}", f"{lon:.5f}", "store|generated"])

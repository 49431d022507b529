"""Sends every Segment call type to a live `tessera serve` with the official Python SDK.

Usage: python send_with_segment_sdk.py  (TESSERA_HOST, TESSERA_KEY, SDK_MODE=batched|gzip-sync)
Exits non-zero if the SDK reports any delivery error.
"""
import os
import sys

import segment.analytics as analytics

errors = []
analytics.write_key = os.environ["TESSERA_KEY"]
analytics.host = os.environ["TESSERA_HOST"]
analytics.on_error = lambda error, batch: errors.append(repr(error))
analytics.max_retries = 0
mode = os.environ.get("SDK_MODE", "batched")
if mode == "gzip-sync":
    analytics.gzip = True
    analytics.sync_mode = True
user = "sdk-user-" + mode

analytics.identify(user, {"email": " SDK.User." + mode + "@Example.com ", "plan": "pro", "age": 41}, anonymous_id="anon-" + mode)
analytics.track(user, "Order Completed", {"revenue": 42.5, "currency": "EUR"}, context={"device": {"type": "mobile"}})
analytics.page(user, "Docs", "Getting started", {"url": "https://example.com/docs"})
analytics.screen(user, "Settings", "Notifications")
analytics.group(user, "acme", {"name": "Acme", "employees": 30})
analytics.alias("previous-" + mode, user)
analytics.track(anonymous_id="visitor-" + mode, event="Product Viewed", properties={"product_id": "P1"})
analytics.flush()

if errors:
    print("the SDK reported errors:", errors, file=sys.stderr)
    sys.exit(1)
print("sent")

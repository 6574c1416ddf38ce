"""Adaptive crawl interval of a source, learned from how often it really publishes.

A feed-reader practice: poll about twice per expected new item. With ``n``
items published in the last ``window`` (14 days) spread over ``span`` (from
the oldest of them to now, at least one day), the publishing rate is
``n / span`` and the interval is ``half the mean gap = span / (2 n)``, clamped
to [minimum, maximum] (5 minutes and 24 hours by default). A source with fewer
than two dated items gets the default interval (60 minutes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

WINDOW = dt.timedelta(days=14)


def adaptive_interval(published: Iterable[dt.datetime], now: dt.datetime, minimum_s: float, maximum_s: float,
                      default_s: float, window: dt.timedelta = WINDOW) -> int:
    """Seconds until the next crawl of a source whose items were published at ``published``
    (aware datetimes, any order; items in the future or older than ``window`` are ignored).

    Returns an int in [minimum_s, maximum_s]."""
    recent = [t for t in published if now - window <= t <= now]
    if len(recent) < 2:
        seconds = default_s
    else:
        span = max((now - min(recent)).total_seconds(), 86400.0)
        seconds = span / (2 * len(recent))
    return int(round(min(max(seconds, minimum_s), maximum_s)))

"""Canonical URLs: the identity of an article across feeds, listings and shares.

courlan normalizes (scheme/host case, default ports, sorted query, tracking
parameters such as utm_*, fbclid, gclid removed, fragment dropped); on top of
that AMP and mobile variants map to the desktop URL: hosts ``m.``, ``amp.``,
``mobile.``; a leading ``/amp/`` path segment, a trailing ``/amp`` or
``.amp`` suffix and an ``amp`` query parameter.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

_HOST_PREFIX = re.compile(r"^(?:m|amp|mobile)\.")
_AMP_PATH = re.compile(r"^/amp(?=/)|/amp/?$|\.amp(?=\.html?$|$)")
_EXTRA_TRACKING = {"amp", "_amp", "outputtype", "zarsrc", "vn_source", "vn_medium", "vn_campaign"}


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """Return the canonical form of ``url`` (str); unparsable input is returned stripped."""
    url = (url or "").strip()
    if not url:
        return url
    try:
        norm = courlan.normalize_url(url)
    except (ValueError, TypeError):
        norm = url
    parts = urlsplit(norm)
    host = _HOST_PREFIX.sub("", parts.netloc.lower())
    path = _AMP_PATH.sub("", parts.path) or "/"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if k.lower() not in _EXTRA_TRACKING and not k.lower().startswith("utm_")))
    return urlunsplit((parts.scheme.lower() or "https", host, path, query, ""))

"""JSON serializer for requests in the shared Redis queue (scrapy_redis ``SCHEDULER_SERIALIZER``).

scrapy_redis pickles request dicts by default; unpickling what another machine wrote
to Redis would run code from the network. This module stores ``Request.to_dict()``
as JSON instead: bytes become ``{"__b": base64}``, dicts with non-string keys (the
headers) ``{"__d": [[key, value], ...]}``. ``dumps(obj) -> bytes``, ``loads(bytes) -> obj``;
``loads`` raises ValueError on anything that is not such JSON.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def _enc(obj: Any) -> Any:
    if isinstance(obj, bytes):
        return {"__b": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not ({"__b", "__d"} & obj.keys()):
            return {k: _enc(v) for k, v in obj.items()}
        return {"__d": [[_enc(k), _enc(v)] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        return [_enc(v) for v in obj]
    return obj


def _dec(obj: Any) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__b"}:
            return base64.b64decode(obj["__b"])
        if set(obj) == {"__d"}:
            return {_dec(k): _dec(v) for k, v in obj["__d"]}
        return {k: _dec(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_dec(v) for v in obj]
    return obj


def dumps(obj: Any) -> bytes:
    """Encode a request dict (nested dicts, lists, bytes, str, numbers, None) as UTF-8 JSON."""
    return json.dumps(_enc(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> Any:
    """Decode what :func:`dumps` wrote; raises ValueError on malformed input."""
    return _dec(json.loads(data))

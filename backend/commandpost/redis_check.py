"""Reachability of the Redis the platform was told to use."""

from __future__ import annotations

import redis

from commandpost.errors import Unavailable


def ping(url: str, *, timeout: float = 2.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise Unavailable(f"Redis unreachable at {url}: {exc}") from exc
    finally:
        client.close()

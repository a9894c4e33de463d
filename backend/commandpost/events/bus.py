"""The bus between the relay and every process's stream: publish events, read them after a position.

Two verbs, two backends: `MemoryBus` inside one process (no REDIS_URL), `RedisBus` over one Redis
stream shared by every backend process. Entries are keyed by event id, so publishing is idempotent:
an id at or below the newest one on the bus is already there (or was given up on) and is ignored,
which lets every process's relay publish without electing one. Readers keep their own position
(XREAD after the last id seen); there are no consumer groups, so every process sees every event.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError


@dataclass(frozen=True, slots=True)
class Published:
    """One committed event on the bus: its id, what it concerns, and its message, encoded once."""

    id: int
    entity_type: str
    exercise_id: int | None
    text: str


class BusUnavailable(Exception):
    """The bus cannot be reached just now; try again later."""


class Bus(Protocol):
    async def publish(self, batch: Sequence[Published]) -> int:
        """Append the events of `batch` (in id order) above the newest on the bus; return the newest id."""
        ...

    async def read(self, after: int, *, wait: float) -> list[Published]:
        """Events after `after`, oldest first; waits up to `wait` seconds for one to arrive."""
        ...

    async def close(self) -> None: ...


class MemoryBus:
    """The bus inside one process: the newest `keep` events, readers woken on publish."""

    def __init__(self, *, keep: int = 10_000) -> None:
        self._entries: deque[Published] = deque(maxlen=max(keep, 1))
        self._top = 0
        self._arrived = asyncio.Event()

    async def publish(self, batch: Sequence[Published]) -> int:
        for item in batch:
            if item.id > self._top:
                self._entries.append(item)
                self._top = item.id
        self._arrived.set()
        self._arrived = asyncio.Event()
        return self._top

    async def read(self, after: int, *, wait: float) -> list[Published]:
        if self._top <= after:
            arrived = self._arrived
            try:
                await asyncio.wait_for(arrived.wait(), wait)
            except TimeoutError:
                return []
        newer: list[Published] = []
        for item in reversed(self._entries):
            if item.id <= after:
                break
            newer.append(item)
        newer.reverse()
        return newer

    async def close(self) -> None:
        return None


# Append the batch's entries whose id is above the stream's newest; return the newest id after.
# ARGV: maxlen, then (id, entity type, exercise id or "", message) per entry.
_PUBLISH = """
local top = 0
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #newest > 0 then top = tonumber(string.match(newest[1][1], '^(%d+)')) end
for i = 2, #ARGV, 4 do
  local id = tonumber(ARGV[i])
  if id > top then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], ARGV[i] .. '-0',
               't', ARGV[i + 1], 'x', ARGV[i + 2], 'm', ARGV[i + 3])
    top = id
  end
end
return top
"""


class RedisBus:
    """One Redis stream, entry id `<event id>-0`, trimmed to about `maxlen` entries."""

    def __init__(self, url: str, *, key: str, maxlen: int) -> None:
        self._key = key
        self._maxlen = maxlen
        self._client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=10,
            health_check_interval=10,
        )
        self._script: Any = self._client.register_script(_PUBLISH)

    async def publish(self, batch: Sequence[Published]) -> int:
        args: list[str | int] = [self._maxlen]
        for item in batch:
            exercise = "" if item.exercise_id is None else str(item.exercise_id)
            args += [item.id, item.entity_type, exercise, item.text]
        try:
            top = await self._script(keys=[self._key], args=args)
        except (RedisError, OSError) as exc:
            raise BusUnavailable(f"Redis: {exc}") from exc
        return int(top)

    async def read(self, after: int, *, wait: float) -> list[Published]:
        try:
            reply: Any = await self._client.xread(
                {self._key: f"{after}-0"}, count=1000, block=max(1, int(wait * 1000))
            )
        except (RedisError, OSError) as exc:
            raise BusUnavailable(f"Redis: {exc}") from exc
        out: list[Published] = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                exercise = fields.get("x") or None
                out.append(
                    Published(
                        id=int(entry_id.split("-", 1)[0]),
                        entity_type=fields["t"],
                        exercise_id=int(exercise) if exercise else None,
                        text=fields["m"],
                    )
                )
        return out

    async def close(self) -> None:
        await self._client.aclose()

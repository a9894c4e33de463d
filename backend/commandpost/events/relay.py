"""The relay: committed events, from the event log to the bus in id order, and from the bus to the hub.

Every process runs both halves. The publishing half reads the log after the last id it knows is on
the bus and publishes; publication is idempotent (the bus ignores ids it already holds), so with
several processes each one's relay may publish and no leader is needed. The reading half follows the
bus from its own position and hands events to this process's hub. When the bus is down, commands
still commit (they only write the database); both halves retry with backoff, forever, and catch up
from the log when it returns.

A commit in this process hands its events (encoded once, in the committing thread) to the relay,
which publishes them at once when they directly follow what is on the bus, without reading the log;
anything else (other processes' commits, a gap, a backlog after an outage) is read from the log.

On PostgreSQL, event ids come from a sequence and concurrent transactions can commit out of id
order: a reader may see event 11 while 10 is still in flight. The relay publishes only the gap-free
prefix, and gives up on a missing id only once every transaction that was running when the gap was
seen has ended (then the id was rolled back). On SQLite writers take turns, so ids commit in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
from sqlalchemy import event as sa_event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, sessionmaker

from commandpost import db
from commandpost.config import Settings
from commandpost.events import service as events
from commandpost.events.bus import Bus, BusUnavailable, MemoryBus, Published, RedisBus
from commandpost.events.models import Event
from commandpost.events.stream import Hub, published

log = logging.getLogger(__name__)

BATCH = 500
# A missing id is waited for at least this long, even once the transactions seen running have ended
# (a transaction can take its id a moment before it is listed as running).
GAP_GRACE_SECONDS = 0.2


# --- handing committed events to the relay ---------------------------------------------------

_relays: weakref.WeakSet[Relay] = weakref.WeakSet()


@sa_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    recorded: list[Event | events.Recorded] | None = session.info.pop(events.RECORDED, None)
    if not recorded or not _relays:
        return
    # Encoded here, once, in the committing thread; a relay of another database only wakes up.
    items = _encoded(recorded)
    url = session.get_bind().engine.url
    try:
        relays = list(_relays)
    except RuntimeError:  # a relay started or stopped in this instant: it reads the log instead
        return
    for relay in relays:
        relay.committed_threadsafe(items if items and relay.url == url else [])


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(events.RECORDED, None)


def _encoded(recorded: list[Event | events.Recorded]) -> list[Published]:
    """The committed events as bus entries, or [] if any is not plainly there (the relay reads the log)."""
    try:
        loaded = all(
            isinstance(e, events.Recorded)
            or ((state := sa_inspect(e)).persistent and not state.expired_attributes)
            for e in recorded
        )
        return sorted((published(e) for e in recorded), key=lambda p: p.id) if loaded else []
    except Exception:  # never fail a commit that has already happened
        log.exception("could not encode committed events; the relay will read them from the log")
        return []


class Backoff:
    """Waits that double from `first` to `most` while something keeps failing."""

    def __init__(self, first: float = 0.05, most: float = 2.0) -> None:
        self.first, self.most = first, most
        self.delay = first

    async def wait(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.most)

    def reset(self) -> None:
        self.delay = self.first


@dataclass
class _Gap:
    missing: frozenset[int]
    running: tuple[int, ...]
    seen: float


class Relay:
    """The publishing half: event log → bus, in id order, resuming after `position`."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        bus: Bus,
        position: int,
        poll_seconds: float,
        seen: Callable[[], int] | None = None,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        # Every event up to here is on the bus, or was rolled back.
        self.position = position
        # How far this process has read the bus: what another process's relay published already.
        self._seen = seen
        self.poll_seconds = poll_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken = asyncio.Event()
        self._gap: _Gap | None = None
        self._ready: list[Published] = []
        self._offered: list[Published] = []
        self.url = sessions.kw["bind"].url

    def committed_threadsafe(self, items: list[Published]) -> None:
        """A session of this process committed events: publish them (without reading the log if it can)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is shutting down
            loop.call_soon_threadsafe(self._committed, items)

    def _committed(self, items: list[Published]) -> None:
        if len(self._offered) + len(items) <= BATCH:
            self._offered += items
        else:  # the bus is down or slow: keep memory bounded, the log has them all
            self._offered = []
        self._woken.set()

    def _take_offered(self) -> tuple[list[Published], bool]:
        """The committed events handed over that follow `position` without a gap, and whether others wait.

        Events right after `position` can go out at once: every id below them is on the bus. The
        others may have gaps before them (ids still in flight) and are left to the read of the log.
        """
        offered = sorted(self._offered, key=lambda p: p.id)
        self._offered = []
        run: list[Published] = []
        expected = self.position + 1
        rest = False
        for item in offered:
            if item.id < expected:
                continue
            if item.id != expected:
                rest = True
                break
            run.append(item)
            expected += 1
        return run, rest

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        _relays.add(self)
        backoff = Backoff()
        try:
            while True:
                try:
                    while await self.publish_once():
                        pass
                    backoff.reset()
                except BusUnavailable as exc:
                    log.warning("event bus unavailable, retrying in %.2fs: %s", backoff.delay, exc)
                    await backoff.wait()
                    continue
                except Exception:
                    log.exception("event relay failed, retrying in %.2fs", backoff.delay)
                    await backoff.wait()
                    continue
                try:
                    async with asyncio.timeout(self.poll_seconds):
                        await self._woken.wait()
                except TimeoutError:
                    pass
                self._woken.clear()
        finally:
            _relays.discard(self)

    async def publish_once(self) -> bool:
        """Publish the next committed events; True when there may be more waiting."""
        if self._seen is not None:
            self.position = max(self.position, self._seen())
        if self._ready and self._ready[-1].id <= self.position:
            self._ready = []
        more = False
        if not self._ready:
            self._ready, more = self._take_offered()
            # Events the log holds beyond a gap that these may have just filled: read them next.
            more = more or self._gap is not None
        if not self._ready:
            self._ready = await anyio.to_thread.run_sync(self._read)
            more = len(self._ready) == BATCH
        if not self._ready:
            return False
        batch = self._ready
        top = await self.bus.publish(batch)
        self._ready = []
        # Ids at or below the bus's newest are published (by this relay or another process's).
        self.position = max(self.position, batch[-1].id, top)
        return more

    def _read(self) -> list[Published]:
        with self.sessions() as session:
            if db.writers_take_turns(session):
                return [published(e) for e in events.between(session, after=self.position, limit=BATCH)]
            # Read committed: the check's statement ends before the read's snapshot is taken.
            settled = self._gap_settled(session)
            return self._read_postgres(session, gap_settled=settled)

    def _gap_settled(self, session: Session) -> bool:
        """Whether every transaction running when the gap was seen has ended (asked before reading)."""
        gap = self._gap
        if gap is None:
            return False
        if max(gap.missing) <= self.position:
            self._gap = None
            return False
        if time.monotonic() - gap.seen < GAP_GRACE_SECONDS:
            return False
        return not events.pg_any_in_progress(session, gap.running)

    def _read_postgres(self, session: Session, *, gap_settled: bool) -> list[Published]:
        # One statement: the rows and the transactions running, as of the same snapshot.
        rows, snapshot = events.between_with_snapshot(session, after=self.position, limit=BATCH)
        ready: list[Published] = []
        expected = self.position + 1
        for row in rows:
            if row.id != expected:
                missing = frozenset(range(expected, row.id))
                gap = self._gap
                if not (gap_settled and gap is not None and missing <= gap.missing):
                    # Wait: the missing ids may belong to transactions still running.
                    if gap is None or not missing <= gap.missing:
                        running = snapshot.xip if snapshot is not None else ()
                        self._gap = _Gap(missing, running, time.monotonic())
                    break
                # Every transaction that could hold them has ended: they were rolled back.
                self._gap = None
                gap_settled = False
            ready.append(published(row))
            expected = row.id + 1
        return ready


async def pump(bus: Bus, hub: Hub, sessions: sessionmaker[Session], wait: float = 1.0) -> None:
    """The reading half: bus → hub, in id order, from the hub's position; reconnects forever.

    When the bus skips ids (rolled-back transactions, or entries trimmed or lost with a Redis that
    restarted empty), the missing stretch is read from the log, so no committed event is passed over.
    """
    backoff = Backoff()
    while True:
        try:
            batch = await bus.read(hub.position, wait=wait)
            backoff.reset()
        except BusUnavailable as exc:
            log.warning("event bus unavailable, reading again in %.2fs: %s", backoff.delay, exc)
            await backoff.wait()
            continue
        if not batch:
            continue
        try:
            if batch[0].id > hub.position + 1:
                after, before = hub.position, batch[0].id - 1
                missed = await anyio.to_thread.run_sync(_read_between, sessions, after, before)
                hub.deliver(missed)
            hub.deliver(batch)
        except Exception:
            log.exception("event stream delivery failed, retrying in %.2fs", backoff.delay)
            await backoff.wait()


def _read_between(sessions: sessionmaker[Session], after: int, upto: int) -> list[Published]:
    with sessions() as session:
        out: list[Published] = []
        while True:
            rows = events.between(session, after=after, upto=upto, limit=BATCH)
            out += [published(e) for e in rows]
            if len(rows) < BATCH:
                return out
            after = rows[-1].id


def make_bus(settings: Settings) -> Bus:
    if settings.redis_url:
        return RedisBus(
            settings.redis_url, key=settings.redis_stream_key, maxlen=settings.redis_stream_maxlen
        )
    return MemoryBus(keep=max(settings.stream_recent_events, BATCH))


@asynccontextmanager
async def running(hub: Hub, *, sessions: sessionmaker[Session], settings: Settings) -> AsyncIterator[None]:
    """Start this process's relay and bus reader, feeding `hub` from its position; stop them on exit."""
    bus = make_bus(settings)
    relay = Relay(
        sessions=sessions,
        bus=bus,
        position=hub.position,
        poll_seconds=settings.relay_poll_seconds,
        seen=lambda: hub.position,
    )
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(relay.run)
            group.start_soon(pump, bus, hub, sessions)
            group.start_soon(hub.beat_forever, settings.stream_heartbeat_seconds)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
    finally:
        await bus.close()

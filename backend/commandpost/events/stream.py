"""The live stream: each process's hub fans committed events out to its websocket clients.

A client gets a snapshot of the layers it asked for (or, resuming, every event after its `since`),
then every event in id order, then heartbeats while nothing happens. Each event is encoded once, on
the relay, and the same text goes to every client. Each client has a bounded queue: the hub never
waits for a client, and one that falls behind is sent a fresh snapshot instead of its backlog.

The hub knows the map's layers only as the `StreamLayers` it is given (`commandpost.layers`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import timedelta

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocket, WebSocketDisconnect

from commandpost import db
from commandpost.clock import Clock
from commandpost.config import Settings
from commandpost.errors import InvalidInput
from commandpost.events import service as events
from commandpost.events.bus import Published
from commandpost.events.models import Event
from commandpost.events.schemas import (
    SnapshotReason,
    StreamLayers,
    StreamRequest,
    encode,
    event_message,
    heartbeat_message,
    parse_request,
    resumed_message,
    snapshot_message,
)

log = logging.getLogger(__name__)

# In a client's queue, in place of the events it could not keep up with: "send a fresh snapshot".
OVERFLOWED = None
# In a client's queue when it has sent nothing for a heartbeat's time: "say how far the client is".
BEAT = Published(id=-1, entity_type="", exercise_id=None, text="")


def published(event: Event | events.Recorded) -> Published:
    """The bus entry for a committed event: its routing facts and its message, encoded once."""
    if isinstance(event, events.Recorded):
        message = event_message(event, payload=None)
        # The payload is JSON already, as stored: spliced in as the message's last member.
        text = encode(message)[:-1] + ',"payload":' + event.payload_text + "}"
    else:
        text = encode(event_message(event, payload=event.payload))
    return Published(id=event.id, entity_type=event.entity_type, exercise_id=event.exercise_id, text=text)


class Client:
    """One connected websocket's filter and its bounded queue of messages to send."""

    def __init__(self, request: StreamRequest, *, limit: int, layered: frozenset[str]) -> None:
        self.request = request
        self._entity_types = request.entity_types
        self._layered = layered
        self._limit = limit
        self.queue: deque[Published | None] = deque()
        self.ready = asyncio.Event()
        self.overflows = 0
        # When this client was last sent something (monotonic seconds).
        self.last_sent = time.monotonic()

    def wants(self, item: Published) -> bool:
        """Drill events only for that drill's clients; layer events only for clients showing the layer."""
        if item.exercise_id is not None and item.exercise_id != self.request.exercise_id:
            return False
        return item.entity_type not in self._layered or item.entity_type in self._entity_types

    def offer(self, item: Published) -> None:
        """Queue `item` without ever waiting; a full queue is dropped for one "resync" mark."""
        if not self.wants(item):
            return
        if len(self.queue) >= self._limit:
            self.queue.clear()
            self.queue.append(OVERFLOWED)
            self.overflows += 1
        else:
            self.queue.append(item)
        self.ready.set()


class Hub:
    """This process's clients and the newest events it has passed them, in id order."""

    def __init__(self, *, position: int, queue_limit: int, keep_recent: int, layers: StreamLayers) -> None:
        # Every event up to `position` has been offered to every client connected at the time.
        self.position = position
        self.queue_limit = queue_limit
        self.layers = layers
        self._layered = layers.entity_types
        self.clients: set[Client] = set()
        self._recent: deque[Published] = deque(maxlen=keep_recent or None)
        self._keep_recent = keep_recent
        # Every event after `_recent_floor` (up to `position`) is in `_recent`.
        self._recent_floor = position

    def join(self, request: StreamRequest) -> Client:
        client = Client(request, limit=self.queue_limit, layered=self._layered)
        self.clients.add(client)
        return client

    def leave(self, client: Client) -> None:
        self.clients.discard(client)

    def beat(self, *, silent_since: float) -> None:
        """Queue a heartbeat for every client sent nothing since `silent_since` (monotonic seconds)."""
        for client in self.clients:
            if client.last_sent <= silent_since and not client.queue:
                client.queue.append(BEAT)
                client.ready.set()

    async def beat_forever(self, every: float) -> None:
        """Heartbeats for clients silent for `every` seconds (up to a quarter more).

        One ticker for all clients: a timer armed per client per event would cost more than
        sending the event.
        """
        while True:
            await asyncio.sleep(every / 4)
            self.beat(silent_since=time.monotonic() - every)

    def deliver(self, batch: list[Published]) -> None:
        """Pass events (in id order) to every client; ids already passed are ignored."""
        for item in batch:
            if item.id <= self.position:
                continue
            if self._keep_recent:
                if len(self._recent) == self._keep_recent:
                    self._recent_floor = self._recent[0].id
                self._recent.append(item)
            else:
                self._recent_floor = item.id
            self.position = item.id
            for client in self.clients:
                client.offer(item)

    def recent_after(self, after: int) -> list[Published] | None:
        """Every event after `after` held in memory, or None when some of them are no longer held."""
        if after < self._recent_floor:
            return None
        newer: list[Published] = []
        for item in reversed(self._recent):
            if item.id <= after:
                break
            newer.append(item)
        newer.reverse()
        return newer


# --- the snapshot ----------------------------------------------------------------------------


def read_snapshot(
    sessions: sessionmaker[Session],
    layers: StreamLayers,
    request: StreamRequest,
    *,
    position: int,
    reason: SnapshotReason,
) -> tuple[str, int]:
    """The requested layers (in the box, with the client's drill) as one encoded snapshot message.

    `position` is the hub's when the client joined: every later event reaches the client's queue.
    The layers and the event ids after `position` are read in one transaction; the snapshot's id is
    the end of the unbroken run of ids after `position` it can see, so it reflects every event up to
    its id (a missing id may be a transaction still in flight: the run stops there) and the queued
    events after its id follow it. Events after the run may be reflected already: applied again, in
    order, they end in the same state.
    """
    with sessions() as session:
        db.one_snapshot(session)
        reflected = position
        for event_id in events.ids_after(session, after=position, limit=10_000):
            if event_id != reflected + 1:
                break
            reflected = event_id
        collections = {
            name: {
                "type": "FeatureCollection",
                "features": layers.read(session, name, request.bbox, request.exercise_id),
            }
            for name in request.layers
        }
    return encode(snapshot_message(id=reflected, reason=reason, layers=collections)), reflected


# --- one connection --------------------------------------------------------------------------


class StreamSession:
    """What one websocket is sent: snapshot or resume, then events in order, then heartbeats."""

    def __init__(
        self,
        websocket: WebSocket,
        hub: Hub,
        request: StreamRequest,
        *,
        sessions: sessionmaker[Session],
        clock: Clock,
        settings: Settings,
    ) -> None:
        self.websocket = websocket
        self.hub = hub
        self.request = request
        self.sessions = sessions
        self.clock = clock
        self.settings = settings
        # The client has every event it wants up to here.
        self.cursor = 0

    async def run(self) -> None:
        client = self.hub.join(self.request)
        try:
            # No await since join: the client's queue will get every event after `position`.
            position = self.hub.position
            since = self.request.since
            if since is None:
                await self._snapshot(client, "connect", position)
            elif await anyio.to_thread.run_sync(self._expired, since):
                await self._snapshot(client, "expired", position)
            else:
                await self.websocket.send_text(encode(resumed_message(since=since)))
                await self._backlog(client, since, position)
            await self._live(client)
        finally:
            self.hub.leave(client)

    def _expired(self, since: int) -> bool:
        with self.sessions() as session:
            return events.out_of_retention(
                session,
                since=since,
                now=self.clock.now(),
                keep_events=self.settings.stream_retention_events,
                keep_for=timedelta(hours=self.settings.stream_retention_hours),
            )

    async def _snapshot(self, client: Client, reason: SnapshotReason, position: int) -> None:
        text, reflected = await anyio.to_thread.run_sync(
            lambda: read_snapshot(
                self.sessions, self.hub.layers, self.request, position=position, reason=reason
            )
        )
        await self.websocket.send_text(text)
        self.cursor = reflected

    async def _backlog(self, client: Client, since: int, upto: int) -> None:
        """The events after `since` up to `upto` (the later ones are in the client's queue)."""
        self.cursor = since
        held = self.hub.recent_after(since)
        if held is not None:
            for item in held:
                if item.id > upto:
                    break
                await self._send(client, item)
        else:
            while self.cursor < upto:
                after = self.cursor
                rows = await anyio.to_thread.run_sync(self._read_events, after, upto)
                if not rows:
                    break
                for item in rows:
                    await self._send(client, item)
                    self.cursor = item.id
        self.cursor = max(self.cursor, upto)

    def _read_events(self, after: int, upto: int) -> list[Published]:
        with self.sessions() as session:
            return [published(e) for e in events.between(session, after=after, upto=upto, limit=1000)]

    async def _send(self, client: Client, item: Published) -> None:
        if item.id > self.cursor and client.wants(item):
            await self.websocket.send_text(item.text)
            self.cursor = item.id

    async def _live(self, client: Client) -> None:
        queue = client.queue
        while True:
            if not queue:
                client.ready.clear()
                await client.ready.wait()
                continue
            item = queue.popleft()
            if item is OVERFLOWED:
                await self._snapshot(client, "overflow", self.hub.position)
            elif item is BEAT:
                if queue:  # events arrived since: they say more than a heartbeat
                    continue
                # Nothing queued: every event the hub passed is sent or not wanted.
                self.cursor = max(self.cursor, self.hub.position)
                await self.websocket.send_text(encode(heartbeat_message(id=self.cursor, at=self.clock.now())))
            elif item.id > self.cursor:
                await self.websocket.send_text(item.text)
                self.cursor = item.id
            else:
                continue
            client.last_sent = time.monotonic()


def _close_reason(exc: InvalidInput) -> str:
    reason = f"{exc.field}: {exc.detail}" if exc.field else exc.detail
    return reason.encode()[:123].decode(errors="ignore")


async def serve(
    websocket: WebSocket, hub: Hub, *, sessions: sessionmaker[Session], clock: Clock, settings: Settings
) -> None:
    """Speak the stream protocol on `websocket` until either side ends."""
    await websocket.accept()
    try:
        request = parse_request(dict(websocket.query_params), hub.layers)
    except InvalidInput as exc:
        await websocket.close(code=1008, reason=_close_reason(exc))
        return
    session = StreamSession(websocket, hub, request, sessions=sessions, clock=clock, settings=settings)
    async with anyio.create_task_group() as group:

        async def send() -> None:
            try:
                await session.run()
            except (WebSocketDisconnect, OSError, RuntimeError) as exc:
                log.debug("stream client gone while sending: %r", exc)
            finally:
                group.cancel_scope.cancel()

        async def receive() -> None:
            try:
                while (await websocket.receive())["type"] != "websocket.disconnect":
                    pass  # clients have nothing to say yet; reading notices them leave
            except (WebSocketDisconnect, OSError, RuntimeError) as exc:
                log.debug("stream client gone while reading: %r", exc)
            finally:
                group.cancel_scope.cancel()

        group.start_soon(send)
        group.start_soon(receive)

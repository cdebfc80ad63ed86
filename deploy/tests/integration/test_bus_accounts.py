"""The bus has accounts: the stack's NATS lets each service do its own work and nothing else.

A real nats-server started by the stack, with the accounts it makes (planspor_stack.bus).
Refusals are NATS's own: a permissions violation reported to the client, and the stream
left as it was. Each story also reads the server's log, so that a permission the services
need but lack (a violation nobody asserted) fails the test too.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime

import nats
import pytest
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError

from planspor_runtime.bus import NatsAccess
from planspor_runtime.stream import stream_config
from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope
from planspor_shared.events.plan_registry import GoalDefined
from planspor_shared.subjects import msg_id, stream_name, subject

pytestmark = pytest.mark.integration


@pytest.fixture
def accounts(stack, nats_accounts):
    if stack.settings.nats_url:
        pytest.skip("NATS comes from NATS_URL: its accounts are not the stack's")
    return nats_accounts


@pytest.fixture
def server_log(stack, nats_url):
    """The lines the NATS server logs during the test."""
    path = stack.settings.log_dir / "nats.log"
    start = path.stat().st_size if path.exists() else 0

    def read() -> str:
        with open(path, "rb") as log:
            log.seek(start)
            return log.read().decode(errors="replace")

    return read


class Client:
    """A connection as one account, with the errors the server sent it."""

    def __init__(self, access: NatsAccess) -> None:
        self.access, self.errors = access, []
        self.nc: nats.NATS | None = None

    async def __aenter__(self) -> Client:
        async def on_error(error: Exception) -> None:
            self.errors.append(str(error))

        self.nc = await nats.connect(
            **self.access.connect_options(name="bus-accounts-test"),
            error_cb=on_error,
            allow_reconnect=False,
            connect_timeout=2,
        )
        return self

    async def __aexit__(self, *_) -> None:
        await self.nc.close()

    def js(self, timeout: float = 5.0):
        return self.nc.jetstream(timeout=timeout)

    def refusing_js(self):
        """For calls that must be refused: the violation comes in milliseconds, the call's timeout need not wait long."""
        return self.js(timeout=0.3)

    async def refused(self, action, *, answered: bool = True) -> str:
        """Run ``action``; NATS must refuse it with a permissions violation.

        A refused request (``answered``: a JetStream call) then times out on the client; a
        refused plain publish or subscription is reported by the server only.
        """
        before = len(self.errors)
        if answered:
            with pytest.raises(Exception):  # noqa: B017 - NATS refuses with a permission error or by silence
                await asyncio.wait_for(action(), timeout=0.5)
        else:
            await action()
            await self.nc.flush()
        for _ in range(100):
            if len(self.errors) > before:
                break
            await asyncio.sleep(0.02)
        assert any("permissions violation" in e for e in self.errors[before:]), self.errors[before:]
        return self.errors[-1]


def forged_plan_registry_event(position: int = 1) -> Envelope:
    """A well-formed event with a correct chain hash: anyone can compute one, so only NATS can keep it out."""
    return Envelope.seal(
        GENESIS_HASH,
        event_id=uuid.uuid4(),
        source="plan-registry",
        position=position,
        aggregate_id=str(uuid.uuid4()),
        aggregate_version=1,
        occurred_at=datetime.now(UTC),
        actor={"id": "mallory", "name": "Mallory", "role": "planner"},
        payload=GoalDefined(goal_id=str(uuid.uuid4()), title="Et mål ingen har vedtatt"),
    )


async def stream_messages(operator: NatsAccess, prefix: str) -> int:
    async with Client(operator) as client:
        return (await client.js().stream_info(stream_name(prefix))).state.messages


async def create_stream(operator: NatsAccess, prefix: str) -> None:
    async with Client(operator) as client:
        await client.js().add_stream(stream_config(prefix))


def violations(log: str, prefix: str) -> list[str]:
    return [line for line in log.splitlines() if "Violation" in line and prefix.upper() in line.upper()]


def test_a_plan_registry_event_from_anyone_but_plan_registry_is_refused_and_never_reaches_the_stream(
    accounts, subject_prefix, server_log
):
    forged = forged_plan_registry_event()
    where = subject("plan-registry", forged.event_type, prefix=subject_prefix)
    headers = {"Nats-Msg-Id": msg_id("plan-registry", 1)}

    async def story():
        await create_stream(accounts["operator"], subject_prefix)

        # 1. without credentials, or with a wrong password, there is no connection at all
        servers = accounts["operator"].servers
        for user, password in ((None, None), ("plan-registry", "not-the-password")):
            with pytest.raises(Exception, match="Authorization Violation"):
                await nats.connect(
                    servers=[s.rpartition("@")[2] if "@" in s else s for s in servers],
                    user=user,
                    password=password,
                    allow_reconnect=False,
                    max_reconnect_attempts=0,
                    connect_timeout=2,
                )

        # 2. knowledge (which only consumes) and cocreation (another source) may not publish as plan-registry
        for account in ("knowledge", "cocreation"):
            async with Client(accounts[account]) as client:
                reason = await client.refused(
                    lambda: client.refusing_js().publish(where, forged.to_canonical(), headers=headers)
                )
                assert where.lower() in reason.lower()
                await client.refused(lambda: client.nc.publish(where, forged.to_canonical()), answered=False)

        # 3. the forged event is nowhere in the stream
        assert await stream_messages(accounts["operator"], subject_prefix) == 0

        # 4. plan-registry itself publishes on its subjects, and only on its own
        async with Client(accounts["plan-registry"]) as client:
            ack = await client.js().publish(where, forged.to_canonical(), headers=headers)
            assert ack.seq == 1
            cocreation_subject = subject("cocreation", "process.started", prefix=subject_prefix)
            await client.refused(lambda: client.refusing_js().publish(cocreation_subject, b"{}"))
        assert await stream_messages(accounts["operator"], subject_prefix) == 1

    asyncio.run(story())
    refused = violations(server_log(), subject_prefix)
    assert {re.search(r"user:([\w-]+)", line).group(1) for line in refused} == {
        "knowledge",
        "cocreation",
        "plan-registry",
    }, refused
    assert all("Publish Violation" in line for line in refused), refused


def test_only_the_operator_may_purge_delete_or_change_the_stream(accounts, subject_prefix):
    name = stream_name(subject_prefix)

    async def story():
        await create_stream(accounts["operator"], subject_prefix)
        async with Client(accounts["plan-registry"]) as client:
            await client.js().publish(
                subject("plan-registry", "goal.defined", prefix=subject_prefix),
                b"{}",
                headers={"Nats-Msg-Id": msg_id("plan-registry", 1)},
            )
        changed = stream_config(subject_prefix)
        changed.max_msgs = 1
        for account in ("plan-registry", "cocreation", "knowledge"):
            async with Client(accounts[account]) as client:
                js = client.refusing_js()
                await client.refused(lambda js=js: js.purge_stream(name))
                await client.refused(lambda js=js: js.delete_stream(name))
                await client.refused(lambda js=js: js.delete_msg(name, 1))
                await client.refused(lambda js=js: js.update_stream(changed))
        assert await stream_messages(accounts["operator"], subject_prefix) == 1

        async with Client(accounts["operator"]) as operator:
            assert await operator.js().purge_stream(name)
            assert await operator.js().delete_stream(name)
            with pytest.raises(NotFoundError):
                await operator.js().stream_info(name)

    asyncio.run(story())


def test_each_service_does_its_own_work_on_its_own_credentials_and_nobody_elses(
    accounts, subject_prefix, server_log, tmp_path
):
    """The relay (plan-registry), a reaction (cocreation) and the projector's and rebuild's reads (knowledge)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "runtime" / "tests"))
    from relay_app import SOURCE, make_application, map_event, sqlite_env

    from planspor_runtime.reactions import ReactionSubscriber
    from planspor_runtime.relay import Relay, RelayStore

    durables = {
        "plan-registry": "plan-registry-reactions",
        "cocreation": "cocreation-plan-catalogue",
        "knowledge": "knowledge-projector",
    }
    app = make_application(sqlite_env(str(tmp_path / "goals.sqlite")))

    async def story():
        # 1. the relay on plan-registry's credentials creates the stream and publishes
        relay = Relay(
            application=app,
            source=SOURCE,
            mapper=map_event,
            nats_url=accounts["plan-registry"],
            subject_prefix=subject_prefix,
            store=RelayStore.for_application(app),
            ack_timeout=3,
        )
        await relay.start()
        app.define_goals([f"mål {i}" for i in range(5)])
        state = await relay.wait_caught_up(timeout=30)
        assert state.position == 5 and relay.last_error is None

        # 2. cocreation's reaction reads plan-registry's events through its durable consumer and acks them
        seen: list[str] = []
        reaction = ReactionSubscriber(
            name="catalogue",
            subject=f"{subject_prefix}.plan-registry.>",
            durable=durables["cocreation"],
            nats_url=accounts["cocreation"],
            subject_prefix=subject_prefix,
            react=lambda envelope: seen.append(envelope.event_type) or True,
        )
        await reaction.start()
        for _ in range(200):
            if len(seen) >= 5:
                break
            await asyncio.sleep(0.05)
        await reaction.stop()
        assert seen == ["goal.defined"] * 5

        # 3. knowledge reads the whole stream: its durable consumer (ack, nak, lag), and a rebuild's own consumer
        async with Client(accounts["knowledge"]) as client:
            js = client.js()
            sub = await js.pull_subscribe(
                f"{subject_prefix}.>",
                durable=durables["knowledge"],
                stream=stream_name(subject_prefix),
                config=ConsumerConfig(ack_wait=30),
            )
            first, *rest = await sub.fetch(5, timeout=5)
            await first.nak(delay=0.1)
            for message in rest:
                await message.ack_sync()
            assert (await sub.consumer_info()).num_ack_pending <= 1
            rebuild = await js.pull_subscribe(f"{subject_prefix}.>", stream=stream_name(subject_prefix))
            assert len(await rebuild.fetch(5, timeout=5)) == 5
            await rebuild.unsubscribe()

            # 4. but not another service's consumer, nor anyone's messages outside its inbox
            await client.refused(
                lambda: client.refusing_js().pull_subscribe(
                    f"{subject_prefix}.>", durable=durables["cocreation"], stream=stream_name(subject_prefix)
                )
            )
            await client.refused(lambda: client.nc.subscribe(f"{subject_prefix}.>"), answered=False)
            assert len(client.errors) == 2, client.errors
        await relay.stop()

    try:
        asyncio.run(story())
    finally:
        app.close()
    unexpected = [
        line
        for line in violations(server_log(), subject_prefix)
        if durables["cocreation"] not in line and f'"{subject_prefix}.>"' not in line
    ]
    assert unexpected == [], unexpected


def test_nats_server_takes_the_deployments_configuration_only_with_every_password_set(stack):
    """deploy/nats/nats.conf, as the compose file and Kubernetes run it (checked by nats-server itself, `-t`)."""
    import os
    import subprocess
    from pathlib import Path

    from planspor_stack.bus import password_variable

    conf = Path(__file__).resolve().parents[2] / "nats" / "nats.conf"
    binary = stack.servers()["nats"].binary()
    passwords = {
        password_variable(user): f"pw-{user}"
        for user in ("operator", "route", "plan-registry", "cocreation", "knowledge")
    }
    env = {**os.environ, "NATS_SERVER_NAME": "nats-0", **passwords}
    routes = ",".join(f"nats-route://route:pw-route@nats-{i}.nats:6222" for i in range(3))
    checked = subprocess.run(
        [binary, "-c", str(conf), "-t", "--routes", routes], env=env, capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    env.pop("NATS_KNOWLEDGE_PASSWORD")
    missing = subprocess.run([binary, "-c", str(conf), "-t"], env=env, capture_output=True, text=True, timeout=30)
    assert missing.returncode != 0 and "NATS_KNOWLEDGE_PASSWORD" in missing.stdout + missing.stderr

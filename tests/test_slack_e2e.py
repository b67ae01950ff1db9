"""End to end: `ketenbot serve` and `ketenbot worker` as real processes on
PostgreSQL, a signed slash command over HTTP, and the referral's root message
arriving at the (fake) Slack Web API. Skipped without TEST_DATABASE_URL.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from storage.db import make_engine
from tests.conftest import PG_URL, SAMPLE
from tests.fakes.slack_api import FakeSlack, command_body, signed_headers

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")

SECRET = "e2e-signing-secret"
TOKEN = "xoxb-e2e-token"
CHANNEL = "C0E2ETEAM"
KETENBOT = str(Path(sys.executable).parent / "ketenbot")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def private_db(pg_databases) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """An empty database of its own (not migrated: `ketenbot db upgrade` does that)."""
    name = f"{pg_databases.prefix}_e2e_slack"
    pg_databases._create(name)
    yield pg_databases._url(name)
    pg_databases.drop(name)


def test_serve_and_worker_post_a_referral_to_slack(private_db: str, tmp_path: Path) -> None:
    port = free_port()
    with FakeSlack(users={"UJEROEN": "jeroen.bakker@jbgld.example.org"}) as fake:
        env = {**os.environ, "DATABASE_URL": private_db, "PORT": str(port),
               "KETENBOT_HOST": "127.0.0.1", "KETENBOT_DATA_DIR": str(tmp_path / "data"),
               "KETENBOT_SLACK_BOT_TOKEN": TOKEN, "KETENBOT_SLACK_SIGNING_SECRET": SECRET,
               "KETENBOT_SLACK_API_URL": fake.api_url,
               "KETENBOT_SWEEP_INTERVAL_SECONDS": "0.5"}
        env.pop("KETENBOT_SLACK_APP_TOKEN", None)

        def run(*args: str) -> None:
            done = subprocess.run([KETENBOT, *args], env=env, cwd=tmp_path, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stdout + done.stderr

        run("db", "upgrade")
        run("directory", "import", str(SAMPLE))
        engine = make_engine(private_db)
        with engine.begin() as conn:
            conn.execute(text("UPDATE team SET slack_channel = :c WHERE key = 'jbgld-food-valley'"),
                         {"c": CHANNEL})
        engine.dispose()

        logs = {name: (tmp_path / f"{name}.log").open("w")  # noqa: SIM115 (closed below)
                for name in ("serve", "worker")}
        procs = {name: subprocess.Popen([KETENBOT, name], env=env, cwd=tmp_path,
                                        stdout=logs[name], stderr=subprocess.STDOUT)
                 for name in ("serve", "worker")}
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                assert procs["serve"].poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)

            body = command_body("UJEROEN", "verwijs 301 Ede E2E-1", fake.response_url())
            answer = httpx.post(f"{base}/slack/events", content=body.encode(),
                                headers=signed_headers(body, SECRET), timeout=10)
            assert answer.status_code == 200, answer.text
            assert answer.json()["response_type"] == "ephemeral"
            assert "KB-0001" in answer.json()["text"]

            end = time.monotonic() + 15
            while not [c for c in fake.of("chat.postMessage") if c.args["channel"] == CHANNEL]:
                assert time.monotonic() < end, (tmp_path / "worker.log").read_text()
                time.sleep(0.1)
            root = next(c for c in fake.of("chat.postMessage") if c.args["channel"] == CHANNEL)
            assert "KB-0001" in root.args["text"] and root.token == TOKEN
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            for f in logs.values():
                f.close()
        for name in ("serve", "worker"):
            assert TOKEN not in (tmp_path / f"{name}.log").read_text(), f"token in {name} log"

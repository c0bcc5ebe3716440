"""A real PostgreSQL server for the tests.

KIT_TEST_POSTGRES_URL names a server the tests may create databases on (``.ci/run`` starts
Debian's cluster and sets it), for example
``postgresql+psycopg://kit:kit@127.0.0.1:5432/postgres``. Each test gets a database of its own,
dropped afterwards. Tests that restart or stop the server make a private cluster of their own
with Debian's cluster tools (as root), so that nothing else using the server is disturbed.
"""
import os
import re
import subprocess
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

VARIABLE = "KIT_TEST_POSTGRES_URL"


def server_url():
    url = os.environ.get(VARIABLE)
    if not url:
        pytest.fail(f"{VARIABLE} is not set: start PostgreSQL and set it as .ci/run does")
    return url


def _libpq(url):
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def new_database(url):
    """A fresh database on the server at url; yields its SQLAlchemy URL, drops it afterwards."""
    name = f"kit_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(url, sql, *params):
    """Rows of one query on the database at url."""
    with psycopg.connect(_libpq(url)) as connection:
        return connection.execute(sql, params).fetchall()


@pytest.fixture
def postgres_database():
    with new_database(server_url()) as url:
        yield url


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    @property
    def url(self):
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action):
        subprocess.run(["pg_ctlcluster", self.version, self.name, action], check=True,
                       capture_output=True, timeout=120)


@contextmanager
def private_cluster():
    """A throwaway PostgreSQL cluster on a free port, trusting connections from this machine."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not versions:
        pytest.fail("PostgreSQL's server is not installed (apt-get install postgresql)")
    version, name = versions[-1].parts[-3], f"kit_{uuid.uuid4().hex[:8]}"
    subprocess.run(["pg_createcluster", version, name, "--start", "--",
                    "--auth-host=trust", "--auth-local=trust"], check=True, capture_output=True, timeout=120)
    try:
        listed = subprocess.run(["pg_lsclusters", "--no-header", version, name], check=True,
                                capture_output=True, text=True).stdout
        yield Cluster(version, name, int(re.split(r"\s+", listed.strip())[2]))
    finally:
        subprocess.run(["pg_dropcluster", "--stop", version, name], capture_output=True, timeout=120)

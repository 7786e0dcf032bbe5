"""A small bot repository in tmp_path with one of everything a scan must handle."""

import os
import subprocess

import pytest

SLEEPY = '''import asyncio
import time
from time import sleep
from time import sleep as nap


async def main(client):
    time.sleep(1)
    await asyncio.sleep(0.5)
    sleep(2)
    nap(3)
    client.sleep(4)
    return "sleep(5) in a string is not a call"
'''

STORE = '''import sqlite3

DB_PATH = "data/trades.db"
DATABASE_URL = "postgres://bot:hunter2@db.internal:5432/trades"


def connect():
    return sqlite3.connect(DB_PATH)


def connect_again():
    return sqlite3.connect("data/trades.db")
'''

UNSAFE = '''import subprocess


def run(cmd):
    return subprocess.run(cmd, shell=True)


def calc(expr):
    return eval(expr)
'''

LINT = '''import os


def f(x):
    l = []
    return x == None
'''

OUTSIDE = "import time\n\ntime.sleep(9)\nURL = 'redis://outside:6379/0'\n"


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)


@pytest.fixture
def bot_repo(tmp_path, settings):
    """The repository (a git checkout with one commit), set as BOT_REPO_DIR."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(OUTSIDE)
    repo = tmp_path / "bot"
    pkg = repo / "bot"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "big.py").write_text("".join(f"x_{i} = {i}\n" for i in range(1200)))
    (pkg / "sleepy.py").write_text(SLEEPY)
    (pkg / "store.py").write_text(STORE)
    (pkg / "unsafe.py").write_text(UNSAFE)
    (pkg / "lint.py").write_text(LINT)
    (pkg / "broken.py").write_text("def f(:\n    pass\n")
    (pkg / "latin.py").write_bytes(b"# caf\xe9\nx = 1\n")
    (pkg / "blob.py").write_bytes(b"\x00\x01\x02 not python")
    (pkg / "README.md").write_text("time.sleep(1) in prose\n")
    os.symlink(outside / "secret.py", pkg / "outside.py")
    os.symlink(outside, repo / "outside_dir")
    os.symlink(pkg / "sleepy.py", pkg / "again.py")  # inside the tree: counted once
    os.symlink(pkg, repo / "bot_alias")  # a directory inside the tree: not walked twice
    vendored = repo / ".venv" / "lib"
    vendored.mkdir(parents=True)
    (vendored / "dep.py").write_text(SLEEPY)
    (repo / "node_modules").mkdir()
    (repo / "node_modules" / "x.py").write_text(SLEEPY)
    _git(repo, "init", "-q")
    _git(repo, "add", "bot")
    _git(repo, "commit", "-q", "-m", "bot")
    settings.BOT_REPO_DIR = str(repo)
    return repo

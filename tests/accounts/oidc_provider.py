"""A real OpenID Connect provider on loopback: Node's `oidc-provider` (installed from npm once per machine
into a cache folder, under a file lock so parallel test workers do not race), started per test."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

VERSION = "8.8.1"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CACHE = Path(os.environ.get("DESKPILOT_TEST_CACHE", Path.home() / ".cache" / "deskpilot-tests"))


def _installed() -> Path:
    """The folder holding node_modules/oidc-provider, installed from npm if missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed to run the test OpenID provider")
    folder = CACHE / f"oidc-provider-{VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "node_modules" / "oidc-provider" / "package.json").exists():
            (folder / "package.json").write_text(json.dumps({"name": "deskpilot-test-idp", "private": True,
                                                             "type": "module"}))
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"oidc-provider@{VERSION}"], cwd=folder,
                           check=True, capture_output=True, timeout=600)
    return folder


@dataclass
class IdentityProvider:
    issuer: str
    client_id: str
    client_secret: str
    accounts_file: Path

    def set_people(self, people: dict[str, dict[str, Any]]) -> None:
        """Who may sign in (by login name) and their claims: email, name, preferred_username, groups."""
        self.accounts_file.write_text(json.dumps(people))


@contextmanager
def identity_provider(port: int, *, redirect_uri: str, after_sign_out: str, workdir: Path
                      ) -> Iterator[IdentityProvider]:
    folder = _installed()
    script = folder / SCRIPT.name
    shutil.copyfile(SCRIPT, script)
    provider = IdentityProvider(issuer=f"http://127.0.0.1:{port}", client_id="deskpilot",
                                client_secret="test-client-secret-0123456789", accounts_file=workdir / "people.json")
    provider.set_people({})
    env = os.environ | {"PORT": str(port), "CLIENT_ID": provider.client_id, "CLIENT_SECRET": provider.client_secret,
                        "REDIRECT_URI": redirect_uri, "AFTER_SIGN_OUT": after_sign_out,
                        "ACCOUNTS_FILE": str(provider.accounts_file), "NODE_ENV": "development"}
    log = (workdir / "oidc-provider.log").open("w")
    process = subprocess.Popen(["node", str(script)], cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test OpenID provider did not start: "
                                   + (workdir / "oidc-provider.log").read_text()[-2000:])
            time.sleep(0.2)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()

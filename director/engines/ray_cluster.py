"""Reaching a Ray cluster safely: a private single-machine cluster on 127.0.0.1, or one
that is already running.

Ray, left to its defaults, listens on every interface, sends usage statistics and probes
cloud metadata addresses. A cluster started here (``address="local"``) therefore gets:
``RAY_USAGE_STATS_ENABLED=0``, ``RAY_USAGE_STATS_REPORT_URL`` pointing at a closed local
port, a private HOME holding an empty ``ray_bootstrap_config.yaml`` (so no cloud
provider is looked up), ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` and the node address
127.0.0.1 (every listener on loopback), no dashboard, and token authentication with a
fresh token kept in the environment (``RAY_AUTH_MODE=token``). Ray reads some of these
once, at import, so they are set before it is imported and read again where it was
imported earlier. Joining a running
cluster (``HOST:PORT``) sets the same usage-statistics variables and ``RAY_AUTH_MODE``
(token when one is configured, else disabled); that cluster's own listeners are as its
``ray start`` made them (see the README). Only what was started or joined here is shut down,
never anything else (no ``ray stop``).
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from storyboard.errors import UserError

INSTALL_HINT = "pip install 'llm-director[ray]' (in a checkout: pip install -e '.[ray]')"
NO_USAGE_STATS = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_USAGE_STATS_REPORT_URL": "http://127.0.0.1:9/",
}
"""set for every Ray start or join"""
LOOPBACK_ONLY = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""set for a private cluster: every listener on 127.0.0.1 (a driver that joins a cluster
of several machines must be reachable from them)"""


def require_ray() -> None:
    """One UserError saying how to install Ray when it is not installed (without
    importing it: Ray reads settings at import, :func:`ray_cluster` sets them first)."""
    if importlib.util.find_spec("ray") is None:
        raise UserError(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}")


def import_ray() -> ModuleType:
    """The ray module, or one UserError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError(f"--executor ray needs Ray, which is not installed: {INSTALL_HINT}"
                        ) from None
    return ray


def _token_configured() -> bool:
    return bool(os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
                or (Path.home() / ".ray" / "auth_token").is_file())


@contextmanager
def _environment(changes: Mapping[str, str]) -> Iterator[None]:
    """Set ``changes`` in os.environ; put the old values back on exit."""
    saved = {name: os.environ.get(name) for name in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _read_settings_again(ray: ModuleType) -> None:
    """Ray reads RAY_AUTH_MODE and RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER once, at import:
    where it was imported before they were set, make it see them (as Ray's own token
    set-up refreshes its config)."""
    from ray._private import ray_constants

    for name in LOOPBACK_ONLY:
        if name in os.environ:
            ray_constants.ENABLE_RAY_CLUSTER = os.environ[name] != "0"
    ray._raylet.Config.initialize("")


@contextmanager
def ray_cluster(address: str = "local", *, num_cpus: float | None = None,
                resources: Mapping[str, float] | None = None) -> Iterator[ModuleType]:
    """Yield the ray module connected to a cluster: the one this process is already
    connected to (left running), else a private one on this machine (``"local"``:
    ``num_cpus`` logical CPUs and custom ``resources``), else the running cluster at
    ``HOST:PORT``. On exit, a cluster started here is shut down, a joined one left."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        yield ray
        return
    if address == "local":
        home = Path(tempfile.mkdtemp(prefix="director-ray-"))
        try:
            (home / "ray_bootstrap_config.yaml").write_text("{}\n", encoding="utf-8")
            env = {**NO_USAGE_STATS, **LOOPBACK_ONLY, "RAY_AUTH_MODE": "token",
                   "RAY_AUTH_TOKEN": secrets.token_hex(32)}
            with _environment(env):
                ray = import_ray()
                _read_settings_again(ray)
                with _environment({"HOME": str(home)}):  # read by the processes it starts
                    ray.init(address="local", num_cpus=num_cpus, resources=dict(resources or {}),
                             include_dashboard=False, _node_ip_address="127.0.0.1",
                             log_to_driver=False, configure_logging=False)
                try:
                    yield ray
                finally:
                    ray.shutdown()
        finally:
            shutil.rmtree(home, ignore_errors=True)
        return
    auth = os.environ.get("RAY_AUTH_MODE") or ("token" if _token_configured() else "disabled")
    with _environment({**NO_USAGE_STATS, "RAY_AUTH_MODE": auth}):
        ray = import_ray()
        _read_settings_again(ray)
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            first = (str(error).strip().splitlines() or [""])[0]
            raise UserError(f"cannot join the Ray cluster at {address!r}: {first}; start it "
                            f"with `ray start --head` on that machine, or use "
                            f"--ray-address local") from None
        try:
            yield ray
        finally:
            ray.shutdown()

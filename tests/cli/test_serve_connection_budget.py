"""`deskpilot serve --workers N` refuses pools that could ask PostgreSQL for more connections than it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.cli.admin import check_connection_budget
from deskpilot.config import Environment, Settings
from deskpilot.db import server_slots
from deskpilot.errors import InvalidInput


def _settings(database_url: str, tmp_path: Path, **pools: int) -> Settings:
    return Settings(environment=Environment.TEST, database_url=database_url, data_dir=tmp_path, **pools)


def test_processes_whose_pools_exceed_the_servers_connections_are_refused_and_the_defaults_fit_four(
        database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several app processes run on PostgreSQL only")
    slots = server_slots(database_url)
    defaults = _settings(database_url, tmp_path)
    check_connection_budget(defaults, processes=4)
    too_big = _settings(database_url, tmp_path, db_pool_size=slots // 2, db_max_overflow=slots // 2,
                        http_concurrency=8)
    check_connection_budget(too_big, processes=1)
    with pytest.raises(InvalidInput, match=r"2 app process\(es\) .*DESKPILOT_DB_POOL_SIZE"):
        check_connection_budget(too_big, processes=2)


def test_sqlite_has_no_connection_limit_to_check(tmp_path: Path) -> None:
    settings = _settings(f"sqlite:///{tmp_path / 'desk.db'}", tmp_path, db_pool_size=500, db_max_overflow=500)
    check_connection_budget(settings, processes=64)

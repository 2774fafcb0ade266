"""Run the longest test files first, so that the two workers of `make test` finish together.

`make test` hands whole files to two xdist workers (`--dist loadfile --no-loadscope-reorder`), in the order
collected. By default xdist sends the files with the most tests first, and a file of one or two long tests (the
OpenAPI fuzzing, the `deskpilot demo` command, a browser journey) came last and ran alone at the end while the
other worker idled. Here the files are put in order of the seconds they took in the last run that ran them
(kept in pytest's cache, .pytest_cache); a file without such a record (a fresh clone, as in CI, or a new file)
weighs KNOWN_SECONDS, or one second per test. The order of the tests within a file is kept.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

CACHE_KEY = "deskpilot/file-seconds"
# Seconds per file (both database kinds) for a run without a cache, e.g. a fresh clone in CI: the files of 3 s or
# more, from the run cache of a fresh-clone `make test` (.pytest_cache/v/deskpilot/file-seconds) on the 2-core
# machine (December 2026). Refresh it the same way when files are added or grow: a long file missing here counts
# one second per test, is sent last, and runs alone at the end while the other worker idles.
KNOWN_SECONDS: dict[str, float] = json.loads((Path(__file__).parent / "file_seconds.json").read_text())


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


class FileSeconds:
    """The seconds of setup, call and teardown each file took in this run, saved in the cache at the end."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[_file(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        cache = getattr(session.config, "cache", None)  # None under `-p no:cacheprovider`
        if cache is not None and self.seconds:
            cache.set(CACHE_KEY, {**cache.get(CACHE_KEY, {}), **{f: round(s, 1) for f, s in self.seconds.items()}})


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist) sees every report
        config.pluginmanager.register(FileSeconds(), "deskpilot-file-seconds")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("failedfirst", False):  # `--ff` asked for last run's failures first: keep that order
        return
    cache = getattr(config, "cache", None)
    cached = cache.get(CACHE_KEY, {}) if cache is not None else {}
    tests = Counter(_file(item.nodeid) for item in items)
    weight = {name: cached.get(name, KNOWN_SECONDS.get(name, float(count))) for name, count in tests.items()}
    rank = {name: place for place, name in enumerate(sorted(tests, key=lambda name: -weight[name]))}
    items.sort(key=lambda item: rank[_file(item.nodeid)])  # stable: a file's own order is kept

"""`deskpilot worker` as operators run it: a process that stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

from tests.entry_points import write_distribution

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_lets_the_running_job_finish_and_the_worker_exit_cleanly(tmp_path: Path, database_url: str,
                                                                          session: Session) -> None:
    site = write_distribution(tmp_path / "plugin", "deskpilot-test-jobs",
                              {"deskpilot.jobs": {"test.slow": "tests.jobs.sample_jobs:slow"}})
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "src"), str(ROOT)]),
                        "DESKPILOT_DATABASE_URL": database_url, "DESKPILOT_DATA_DIR": str(tmp_path / "var"),
                        "DESKPILOT_JOB_INTERVALS": '{"sla.sweep": 0, "mail.poll": 0, "mail.send": 0}',
                        "SLOW_JOB_STARTED": str(tmp_path / "slow-started")}
    worker = subprocess.Popen([sys.executable, "-m", "deskpilot.cli", "worker"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    banner = worker.stdout.readline()
    assert "test.slow every 3600 s" in banner, banner
    started = tmp_path / "slow-started"
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline:  # other due jobs may run first
        time.sleep(0.05)
    assert started.exists(), "the slow job never started"

    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=30)

    assert worker.returncode == 0, err
    assert "SIGTERM: stopping after the current job" in err
    assert "test.slow [succeeded] attempt 1: finished the slow work" in out
    assert "worker stopped: 1 run(s) succeeded" in out

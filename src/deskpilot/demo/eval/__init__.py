"""The demo desk's test sets (data only; never used for training or tuning)."""

from pathlib import Path

TRIAGE_REQUESTS = Path(__file__).resolve().parent / "triage_requests.yaml"

__all__ = ["TRIAGE_REQUESTS"]

"""The closed vocabularies of the privacy flow."""

from enum import StrEnum


class ErasureStatus(StrEnum):
    REQUESTED = "requested"  # by one admin; waits for another's approval
    APPROVED = "approved"    # the `privacy.erase` job picks it up
    RUNNING = "running"      # some owners are done (`done_steps`); a crash resumes from there
    DONE = "done"
    CANCELLED = "cancelled"  # withdrawn before approval

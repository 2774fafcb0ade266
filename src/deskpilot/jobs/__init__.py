"""Background and periodic work: jobs found by entry point, run by `deskpilot worker` (see docs/seams.md)."""

"""Dataset loaders, metrics and the evaluation runs behind `deskpilot eval ...`."""

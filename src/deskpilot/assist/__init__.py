"""Assist: hybrid retrieval over approved KB versions and grounded, cited answers and drafts."""

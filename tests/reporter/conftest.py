"""Fixtures of the reporter's tests (defined in tests/reporter/stack.py, shared with other packages)."""

from tests.reporter.stack import reporter, reporter_stack

__all__ = ["reporter", "reporter_stack"]

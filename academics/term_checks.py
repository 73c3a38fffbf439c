"""Checks other apps run on a change to a term before the admin saves it (issue 12: a change under students).

``academics`` knows no app that builds on it, so an app that holds data a term setting governs registers a check in
its ``AppConfig.ready()`` (``term_change_check_register``), e.g. credit exchange refuses a lower credit limit while a
registered student is over it. A check gets the saved term and the proposed one and returns the messages that
refuse the change ([] when it may go ahead).
"""

from collections.abc import Callable

# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
_CHECKS: list[Callable] = []


def term_change_check_register(check: Callable) -> None:
    if check not in _CHECKS:
        _CHECKS.append(check)


def term_change_refusals(*, saved, proposed) -> list[str]:
    return [message for check in _CHECKS for message in check(saved=saved, proposed=proposed)]

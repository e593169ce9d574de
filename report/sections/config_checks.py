"""What a key of a user's own section may hold: from its CHECKS, or else like its default.

A section module imports these for CHECKS (through report.sections.kit): whole(1, 1000),
number(0, 1), choice("a", "b"), text, boolean, listof(whole(0)). Each returns a check: a function
of a value giving None when the value is allowed, else what is expected (the error's wording).
"""
from __future__ import annotations

import math


def whole(minimum: int = 0, maximum: int | None = None):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
                maximum is not None and value > maximum):
            return f"a whole number from {minimum}" + (f" to {maximum:,}" if maximum is not None else " up")
        return None
    return check


def number(minimum: float | None = None, maximum: float | None = None):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (
                minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = " and ".join(part for part in (f"≥ {minimum:g}" if minimum is not None else "",
                                                    f"≤ {maximum:g}" if maximum is not None else "") if part)
            return "a finite number" + (f" {bounds}" if bounds else "")
        return None
    return check


def choice(*allowed):
    def check(value):
        return None if value in allowed else "one of " + ", ".join(f'"{a}"' for a in allowed)
    return check


def text(value):
    return None if isinstance(value, str) else "text"


def boolean(value):
    return None if isinstance(value, bool) else "true or false"


def listof(item_check, distinct: bool = True):
    def check(value):
        if not isinstance(value, list) or not value:
            return "a non-empty list"
        for item in value:
            problem = item_check(item)
            if problem:
                return f"a non-empty list, each {problem}"
        if distinct and len({repr(v) for v in value}) != len(value):
            return "a list of distinct values (a value is repeated)"
        return None
    return check


def like(default, where: str = "a key"):
    """The check a default implies: its type (a whole number stays whole; a number may be any finite
    number; a list holds items like its first)."""
    if isinstance(default, bool):
        return boolean
    if isinstance(default, int):
        return whole(min(0, default))
    if isinstance(default, float):
        return number()
    if isinstance(default, str):
        return text
    if isinstance(default, list) and default:
        return listof(like(default[0], where))
    from ..errors import ConfigError

    raise ConfigError(f"{where}: a default must be a number, text, true/false or a non-empty list, "
                      f"not {default!r} (or give the key a check in CHECKS)")

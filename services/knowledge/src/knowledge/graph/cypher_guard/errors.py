"""The one error of the guard: what was refused, why, and where in the query the analyst sent."""

from __future__ import annotations


class CypherRefused(ValueError):
    """A query the endpoint will not run; ``reason`` says what to change, ``line``/``column`` where (1-based)."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason if line is None else f"{reason} (line {line}, column {column})"
        super().__init__(self.reason)
        self.line = line
        self.column = column

"""Which regular expressions ``=~`` may use: those Java's backtracking matcher runs in linear time.

Neo4j matches ``=~`` with ``java.util.regex`` inside one expression, where the
transaction timeout is not looked at. Measured on 5.26: ``'a'*30 + '!' =~ '(.*a){12}'``
ran 3.9 s past a 2 s limit; on a 20,000-character text ``.*b.*c`` took 1.7 s and
grows with the square of the length, three ``.*`` with the cube. Texts can be made
long inside a query, so a pattern is accepted only if a failing match is linear:

- no group is repeated, except by ``?`` (``(a+)+``, ``(.*x){3}`` are refused);
- at most one unbounded repetition (``*``, ``+``, ``{n,}``, or an upper bound over 10);
- the bounded repetitions together allow at most 1,000 ways (``?`` counts 2, ``{1,3}`` 3);
- only plain syntax: characters, one-character escapes (``\\d``, ``\\.``, ``\\p{L}``),
  classes ``[...]``, ``.``, anchors, groups ``(...)``/``(?:...)``, flags ``(?i)``, ``|``;
  no backreference, lookaround, ``\\Q..\\E`` or nested class.

Refused patterns get a reason that says what to write instead (``CONTAINS``,
``STARTS WITH``, ``ENDS WITH``, ``toLower``).
"""

from __future__ import annotations

MAX_UNBOUNDED = 1
MAX_BOUNDED_UPPER = 10
MAX_WAYS = 1000
MAX_PATTERN_LENGTH = 500
FLAGS = frozenset("imsuxdU-")
INSTEAD = "for 'contains' write toLower(x) CONTAINS 'text' (or STARTS WITH / ENDS WITH) instead"


class UnsafeRegex(ValueError):
    pass


def check_regex(pattern: str) -> None:
    """Return if Java matches ``pattern`` in linear time; raise ``UnsafeRegex`` saying why not."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafeRegex(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    unbounded, ways = 0, 1
    i, n = 0, len(pattern)
    repeatable: str | None = None  # what a repetition here would repeat: "atom", "group", "repetition" or None
    while i < n:
        c = pattern[i]
        if c == "\\":
            i = _escape(pattern, i)
            repeatable = "atom"
        elif c == "[":
            i = _char_class(pattern, i)
            repeatable = "atom"
        elif c == "(":
            i = _group_open(pattern, i)
            repeatable = None
        elif c == ")":
            i += 1
            repeatable = "group"
        elif c in "*+?{":
            low, high, i = _repetition(pattern, i)
            if i < n and pattern[i] in "?+":
                i += 1  # a lazy or possessive repetition: the same bound
            if repeatable is None:
                raise UnsafeRegex("a repetition must follow a character, a class or a group")
            if repeatable == "repetition":
                raise UnsafeRegex("a repetition of a repetition is not accepted")
            if repeatable == "group" and (low, high) != (0, 1):
                raise UnsafeRegex(
                    "a repeated group, e.g. (a+)+ or (.*x){3}, can take exponential time; "
                    "repeat single characters or classes only"
                )
            if high is None or high > MAX_BOUNDED_UPPER:
                unbounded += 1
                if unbounded > MAX_UNBOUNDED:
                    raise UnsafeRegex(
                        f"more than {MAX_UNBOUNDED} unbounded repetition (*, +, {{n,}}) takes time that "
                        f"grows with a power of the text's length; {INSTEAD}"
                    )
            elif high > low:
                ways *= high - low + 1
                if ways > MAX_WAYS:
                    raise UnsafeRegex(f"the repetitions allow more than {MAX_WAYS} ways to match; {INSTEAD}")
            repeatable = "repetition"
        else:
            i += 1
            repeatable = None if c in "|^$" else "atom"


def _repetition(pattern: str, i: int) -> tuple[int, int | None, int]:
    c = pattern[i]
    if c == "*":
        return 0, None, i + 1
    if c == "+":
        return 1, None, i + 1
    if c == "?":
        return 0, 1, i + 1
    end = pattern.find("}", i)
    body = pattern[i + 1 : end] if end > 0 else ""
    low, comma, high = body.partition(",")
    if end < 0 or not low.isdigit() or (high and not high.isdigit()):
        raise UnsafeRegex("a { must start a repetition like {2} or {1,3}; write \\{ for the character itself")
    if not comma:
        return int(low), int(low), end + 1
    return int(low), (int(high) if high else None), end + 1


def _group_open(pattern: str, i: int) -> int:
    if not pattern.startswith("(?", i):
        return i + 1
    j = i + 2
    while j < len(pattern) and pattern[j] in FLAGS:
        j += 1
    if j < len(pattern) and pattern[j] in ":)":
        return j + 1
    raise UnsafeRegex("lookaround, named groups and other (?...) constructs are not accepted; flags like (?i) are")


def _escape(pattern: str, i: int) -> int:
    if i + 1 >= len(pattern):
        raise UnsafeRegex("the pattern ends with a lone backslash")
    c = pattern[i + 1]
    if c.isdigit() or c == "k":
        raise UnsafeRegex("backreferences (\\1, \\k<name>) are not accepted")
    if c in "QE":
        raise UnsafeRegex("\\Q...\\E quoting is not accepted: escape each character")
    if c in "pPx" and pattern.startswith("{", i + 2):
        end = pattern.find("}", i)
        if end < 0:
            raise UnsafeRegex(f"unterminated \\{c}{{...}}")
        return end + 1
    return i + {"p": 3, "P": 3, "x": 4, "u": 6, "c": 3}.get(c, 2)


def _char_class(pattern: str, i: int) -> int:
    """The index after a character class; nested classes and intersections (&&) are refused."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern):
        c = pattern[j]
        if c == "\\":
            j += 2
            continue
        if c == "[" or pattern.startswith("&&", j):
            raise UnsafeRegex("nested character classes and && are not accepted")
        if c == "]":
            return j + 1
        j += 1
    raise UnsafeRegex("unterminated character class [")

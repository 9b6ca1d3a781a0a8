"""Did-you-mean hints for names from a known set (providers, models); error paths only."""

from __future__ import annotations

from collections.abc import Collection


def closest(name: str, known: Collection[str], *, cutoff: float = 0.6) -> str | None:
    """The known name `name` most probably meant (`opneai`, ` OpenAI` -> `openai`), if one is close enough."""
    import difflib

    found = difflib.get_close_matches(name.strip().lower(), list(known), n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(name: str, known: Collection[str]) -> str:
    """` (did you mean 'openai'?)` to append to an error naming `name`, or ""."""
    found = closest(name, known)
    return f" (did you mean {found!r}?)" if found else ""

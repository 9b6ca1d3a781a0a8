"""`kt`'s Typer app class: help pages name values (`--model MODEL`, `kt chat [OPTIONS] MESSAGE`), not types.

Typer 0.27+ prints Python types instead (`--model <str>`, `<int range>`, `<list[str]>`, `{message}`); a
parameter's own `metavar` wins, else its name in capitals, as click and argparse write it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand

F = TypeVar("F", bound=Callable[..., Any])


class Command(TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = (param.name or "value").upper()

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            pieces.extend([_usage(param)] if isinstance(param, TyperArgument) else param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((str(param.metavar), record[1]))  # Typer appends `<type>` to the name
            else:
                options.append(record)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def _usage(argument: TyperArgument) -> str:
    name = str(argument.metavar) if argument.required else f"[{argument.metavar}]"
    return name + ("..." if argument.nargs != 1 else "")


class Typer(typer.Typer):
    """A `typer.Typer` whose commands render their help with `Command`."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        kwargs.setdefault("cls", Command)
        decorator: Callable[[F], F] = super().command(*args, **kwargs)
        return decorator

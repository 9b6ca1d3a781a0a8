"""Write completions/kt.{bash,zsh,fish} from the Typer app (run after changing commands)."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.completion import get_completion_script

SHELLS = {"bash": "kt.bash", "zsh": "kt.zsh", "fish": "kt.fish"}


def render() -> dict[str, str]:
    import killtoken_cli.main  # noqa: F401 - completion scripts name the app's program

    return {
        filename: get_completion_script(prog_name="kt", complete_var="_KT_COMPLETE", shell=shell)
        for shell, filename in SHELLS.items()
    }


def main(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for filename, text in render().items():
        (folder / filename).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "completions")

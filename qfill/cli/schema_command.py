"""`qfill schema`: the JSON Schema of an answer file, for editors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qfill.cli import app, exit_on_error, tell


@app.command("schema")
def schema(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the schema to this file instead of stdout.",
        show_default=False)] = None,
) -> None:
    """Print the JSON Schema (draft-07) of an answer file.

    Editors that use yaml-language-server (VS Code's YAML extension, JetBrains IDEs,
    Neovim) then check and autocomplete answer files as you type. Save it in the library,
    e.g. `qfill schema -o answer-file.schema.json`, and put
    `# yaml-language-server: $schema=../answer-file.schema.json` at the top of each answer
    file, or map answers/*.yaml to it in the editor's yaml.schemas setting.
    """
    with exit_on_error():
        from qfill.files import atomic_write
        from qfill.schema import schema_json

        text = schema_json()
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            atomic_write(output, text)
            tell(f"wrote {output}")

"""The README's editor setups parse: Helix's TOML, Neovim's Lua (its brackets and strings), VS Code's JSON."""

from __future__ import annotations

import json
import re
import tomllib

from tests.helpers import ROOT


def snippet(language: str) -> str:
    """The README's one ```language block of the editor section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### In an editor: `envelope lsp`") :]
    [block] = re.findall(rf"```{language}\n(.*?)```", section[: section.index("\n## ")], re.DOTALL)
    return block


def test_helix_languages_toml_is_valid_and_starts_envelope_lsp():
    config = tomllib.loads(snippet("toml"))
    assert config["language-server"]["envelope"] == {"command": "envelope", "args": ["lsp"]}
    [yaml] = config["language"]
    assert yaml["name"] == "yaml" and "envelope" in yaml["language-servers"]


def test_vscode_settings_are_json_and_start_envelope_lsp():
    settings = json.loads(snippet("json"))
    assert [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]] == ["envelope", "lsp"]


def lua_structure(source: str) -> list[str]:
    """Lua's brackets and block keywords, outside strings and comments, as a stack check sees them."""
    code = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|--[^\n]*', '""', source)
    tokens = re.findall(r"[(){}\[\]]|\b(?:function|if|do|end|then)\b", code)
    stack: list[str] = []
    pairs = {")": "(", "}": "{", "]": "["}
    for token in tokens:
        if token in "({[" or token in ("function", "if", "do"):
            stack.append(token)
        elif token in pairs:
            assert stack and stack.pop() == pairs[token], f"unbalanced {token}"
        elif token == "end":
            assert stack and stack.pop() in ("function", "if", "do"), "an 'end' with no block"
    return stack


def test_neovim_lua_is_balanced_and_starts_envelope_lsp():
    source = snippet("lua")
    assert lua_structure(source) == []
    assert 'cmd = { "envelope", "lsp" }' in source
    assert source.count('"') % 2 == 0


def test_the_lua_check_catches_an_unclosed_table():
    assert lua_structure('local x = { a = "}" ') == ["{"]

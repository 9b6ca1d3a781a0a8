"""Token counting offline: the bundled encoding, TIKTOKEN_CACHE_DIR, and the documented estimate."""

from __future__ import annotations

import logging
import shutil
import socket
from pathlib import Path

import pytest

from killtoken_proxy.gateway.optimize import tokens
from killtoken_proxy.gateway.optimize.tokens import CL100K, O200K, cache_file, load_tokenizers
from killtoken_proxy.settings import Settings


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the tokenizer tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def test_the_bundled_encoding_loads_offline_and_counts_real_tokens(no_network: None):
    tokenizers = load_tokenizers(None)
    assert tokenizers.loaded == ["cl100k_base"]
    gpt4 = tokenizers.for_model("gpt-4")
    assert (gpt4.name, gpt4.exact) == ("tiktoken:cl100k_base", True)
    assert gpt4.count("Hello world") == 2
    assert gpt4.count("<|endoftext|> is plain text here") > 1  # special-token text never raises


def test_models_of_another_encoding_are_counted_approximately_and_say_so():
    counter = load_tokenizers(None).for_model("gpt-4.1-mini")  # o200k_base, not bundled
    assert (counter.name, counter.exact) == ("tiktoken:cl100k_base", False)
    assert load_tokenizers(None).for_model("claude-sonnet-4").exact is False


def test_tiktoken_cache_dir_is_read_from_the_environment(tmp_path: Path):
    settings = Settings.from_env({"KILLTOKEN_HOME": str(tmp_path), "TIKTOKEN_CACHE_DIR": str(tmp_path / "tk")})
    assert settings.tiktoken_cache_dir == tmp_path / "tk"
    assert Settings.from_env({"KILLTOKEN_HOME": str(tmp_path)}).tiktoken_cache_dir is None


def test_an_encoding_in_the_cache_dir_is_used_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None, caplog: pytest.LogCaptureFixture
):
    bundled = tokens.bundled_file(CL100K)
    assert bundled is not None
    monkeypatch.setattr(tokens, "bundled_file", lambda spec: None)  # only the cache dir can provide it now
    shutil.copy(bundled, cache_file(tmp_path, CL100K))
    cache_file(tmp_path, O200K).write_bytes(b"not the o200k file")  # a corrupt download is refused
    with caplog.at_level(logging.WARNING, logger="killtoken"):
        tokenizers = load_tokenizers(tmp_path)
    assert tokenizers.loaded == ["cl100k_base"]
    assert tokenizers.for_model("gpt-4").exact and tokenizers.for_model("gpt-4").count("Hello world") == 2
    assert "SHA-256 does not match the o200k_base encoding" in caplog.text


def test_without_any_encoding_the_documented_estimate_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(tokens, "bundled_file", lambda spec: None)
    counter = load_tokenizers(tmp_path).for_model("gpt-4")
    assert (counter.name, counter.exact) == ("estimate:chars/4", False)
    assert counter.count("abcdefghi") == 3

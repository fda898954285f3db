"""Fixtures for the conversion tests: a trained SentencePiece model and tiny checkpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_llama import TinyConfig, random_weights, train_sentencepiece, write_checkpoint


@pytest.fixture(scope="session")
def sp_model() -> bytes:
    pytest.importorskip("sentencepiece")
    return train_sentencepiece()


@pytest.fixture(scope="session")
def tiny_config(sp_model: bytes) -> TinyConfig:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    return TinyConfig(vocab_size=processor.get_piece_size())


@pytest.fixture(scope="session")
def tiny_weights(tiny_config: TinyConfig) -> dict:
    return random_weights(tiny_config, seed=0)


@pytest.fixture(scope="session", params=["bin", "sharded-safetensors"])
def tiny_checkpoint(request, tmp_path_factory, tiny_config, tiny_weights, sp_model) -> Path:
    """A HF LLaMA folder, once as pytorch_model.bin and once as sharded safetensors."""
    folder = tmp_path_factory.mktemp(f"hf-{request.param}")
    return write_checkpoint(folder, tiny_config, tiny_weights, sp_model, request.param)

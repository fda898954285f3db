"""config.json → llama.cpp hyperparameters, for the real LLaMA-2 configs α-UMi ships."""

from __future__ import annotations

import json

import numpy as np
import pytest

from umi_cli.errors import UmiError
from umi_cli.models.convert.llama import (
    LlamaHParams,
    expected_shapes,
    gguf_tensor_name,
    permute_qk,
)

# The config.json of a LLaMA-2-7B fine-tune saved by transformers 4.3x (as α-UMi's are).
LLAMA2_7B = {
    "architectures": ["LlamaForCausalLM"],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 4096,
    "initializer_range": 0.02,
    "intermediate_size": 11008,
    "max_position_embeddings": 4096,
    "model_type": "llama",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "pad_token_id": 0,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.31.0",
    "use_cache": False,
    "vocab_size": 32000,
}


def _hparams(tmp_path, **changes) -> LlamaHParams:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(LLAMA2_7B | changes))
    return LlamaHParams.from_config(path)


def test_llama2_7b_config(tmp_path):
    hp = _hparams(tmp_path)
    assert (hp.n_layers, hp.n_heads, hp.n_kv_heads, hp.head_dim) == (32, 32, 32, 128)
    assert (hp.context_length, hp.rms_norm_eps, hp.rope_theta) == (4096, 1e-5, 10000.0)
    assert hp.rope_scaling_factor is None
    shapes = expected_shapes(hp)
    assert len(shapes) == 3 + 9 * 32
    assert shapes["token_embd.weight"] == (32000, 4096)
    assert shapes["blk.31.ffn_down.weight"] == (4096, 11008)
    assert sum(np.prod(s) for s in shapes.values()) == 6_738_415_616  # LLaMA-2-7B's parameters


def test_13b_gqa_and_linear_rope_scaling(tmp_path):
    hp = _hparams(
        tmp_path,
        hidden_size=5120,
        num_attention_heads=40,
        num_key_value_heads=8,
        rope_scaling={"type": "linear", "factor": 2.0},
        rope_theta=500000.0,
    )
    assert (hp.head_dim, hp.n_kv_heads, hp.rope_scaling_factor) == (128, 8, 2.0)
    assert expected_shapes(hp)["blk.0.attn_k.weight"] == (8 * 128, 5120)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"model_type": "mistral"}, "only LLaMA-architecture"),
        ({"rope_scaling": {"type": "yarn", "factor": 4.0}}, "'yarn' is not supported"),
        ({"num_key_value_heads": 5}, "not a multiple"),
        ({"hidden_size": None}, "missing or invalid field"),
    ],
)
def test_unsupported_configs_are_one_line_errors(tmp_path, changes, message):
    with pytest.raises(UmiError, match=message):
        _hparams(tmp_path, **changes)


def test_tensor_names():
    assert gguf_tensor_name("model.layers.7.self_attn.k_proj.weight") == "blk.7.attn_k.weight"
    assert gguf_tensor_name("model.layers.0.mlp.down_proj.weight") == "blk.0.ffn_down.weight"
    assert gguf_tensor_name("lm_head.weight") == "output.weight"
    assert gguf_tensor_name("model.layers.0.self_attn.rotary_emb.inv_freq") is None
    with pytest.raises(UmiError, match=r"unexpected tensor 'model\.vision_tower"):
        gguf_tensor_name("model.vision_tower.weight")


def test_permutation_interleaves_each_heads_halves():
    # one head of dim 4: HF rows [a0 a1 | b0 b1] (rotate-half pairs a_i with b_i) become
    # llama.cpp's adjacent pairs [a0 b0 a1 b1]
    rows = np.arange(8).reshape(8, 1)
    assert permute_qk(rows, 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]

"""Reading torch.save zips (without torch) and sharded safetensors, lazily and exactly."""

from __future__ import annotations

import json
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from tiny_llama import bf16_exact, save_safetensors
from torch_format import TensorRecord, bf16_truncate, save_state_dict, save_torch_zip

from umi_cli.errors import UmiError
from umi_cli.models.convert.checkpoint import open_checkpoint
from umi_cli.models.convert.tensors import bf16_bits_to_float32, float32_to_bf16_bits
from umi_cli.models.convert.torch_zip import read_torch_checkpoint

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(FIXTURES))
from make_torch_fixture import fixture_values  # noqa: E402


def test_reads_a_file_written_by_real_torch():
    """torch_tensors.pt was written by torch 2.13 (make_torch_fixture.py): bf16, f16, f32,
    a transposed view and a row slice sharing storages."""
    values = fixture_values()
    tensors = {t.name: t for t in read_torch_checkpoint(FIXTURES / "torch_tensors.pt")}
    for name in (
        "model.embed_tokens.weight",
        "model.layers.0.self_attn.q_proj.weight",
        "model.norm.weight",
    ):
        assert tensors[name].dtype == "BF16"
        np.testing.assert_array_equal(tensors[name].to_float32(), bf16_exact(values[name]))
    assert tensors["half"].dtype == "F16"
    np.testing.assert_array_equal(tensors["half"].raw(), values["half"].astype(np.float16))
    np.testing.assert_array_equal(tensors["float"].raw(), values["float"])
    np.testing.assert_array_equal(tensors["transposed"].raw(), values["float"].T)
    embed = bf16_exact(values["model.embed_tokens.weight"])
    np.testing.assert_array_equal(tensors["rows"].to_float32(), embed[10:20])


def test_reads_a_real_module_state_dict():
    """state_dict.pt: torch's OrderedDict with its ``_metadata`` attribute, as Module saves."""
    values = fixture_values()
    tensors = {t.name: t for t in read_torch_checkpoint(FIXTURES / "state_dict.pt")}
    assert list(tensors) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert {t.dtype for t in tensors.values()} == {"BF16"}
    np.testing.assert_array_equal(
        tensors["0.weight"].to_float32(), bf16_exact(values["half"][:, :4])
    )
    assert tensors["0.bias"].shape == (3,)
    np.testing.assert_array_equal(tensors["1.weight"].to_float32(), np.full(3, 2.0, np.float32))
    np.testing.assert_array_equal(tensors["1.bias"].to_float32(), np.zeros(3, np.float32))


def test_round_trips_our_writer_in_every_float_dtype(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {
        "a": rng.standard_normal((7, 3), dtype=np.float32),
        "b": np.arange(5, dtype=np.float32),
    }
    for dtype in ("BF16", "F16", "F32"):
        path = tmp_path / f"{dtype}.bin"
        save_state_dict(path, arrays, dtype=dtype)
        got = {t.name: t for t in read_torch_checkpoint(path)}
        assert [got[n].shape for n in arrays] == [(7, 3), (5,)]
        for name, array in arrays.items():
            stored = {"BF16": bf16_exact(array), "F16": array.astype(np.float16), "F32": array}
            expected = stored[dtype].astype(np.float32)
            np.testing.assert_array_equal(got[name].to_float32(), expected)


def test_storage_offsets_and_shared_storages(tmp_path):
    base = np.arange(24, dtype=np.float32)
    records = {
        "whole": TensorRecord("0", "F32", 0, (4, 6), (6, 1)),
        "tail_rows": TensorRecord("0", "F32", 12, (2, 6), (6, 1)),
        "columns": TensorRecord("0", "F32", 1, (4, 2), (6, 1)),  # non-contiguous slice
    }
    save_torch_zip(tmp_path / "v.bin", records, {"0": base.tobytes()})
    got = {t.name: t.raw() for t in read_torch_checkpoint(tmp_path / "v.bin")}
    grid = base.reshape(4, 6)
    np.testing.assert_array_equal(got["whole"], grid)
    np.testing.assert_array_equal(got["tail_rows"], grid[2:])
    np.testing.assert_array_equal(got["columns"], grid[:, 1:3])


class _Boom:
    def __reduce__(self):
        import os

        return (os.system, ("echo pwned > /dev/null",))


def test_refuses_pickles_that_name_other_globals(tmp_path):
    path = tmp_path / "evil.bin"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps({"x": _Boom()}, protocol=2))
    with pytest.raises(UmiError, match=r"names (posix|os)\.system.*refusing"):
        read_torch_checkpoint(path)


def test_legacy_non_zip_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "old.bin"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(UmiError, match="not a zip-format PyTorch checkpoint"):
        read_torch_checkpoint(path)


def test_bf16_helpers_round_to_nearest_even():
    values = np.array([1.0, 1.00390625, 1.005859375, -2.5, 3.0e38], dtype=np.float32)
    bits = float32_to_bf16_bits(values)
    assert bits.tolist() == [0x3F80, 0x3F80, 0x3F81, 0xC020, 0x7F62]
    np.testing.assert_array_equal(bf16_bits_to_float32(bf16_truncate(values)), bf16_exact(values))


def test_sharded_safetensors_with_index(tmp_path):
    rng = np.random.default_rng(5)
    arrays = {f"t{i}": rng.standard_normal((i + 1, 4), dtype=np.float32) for i in range(4)}
    save_safetensors(tmp_path / "s1.safetensors", {k: arrays[k] for k in ("t0", "t1")})
    save_safetensors(tmp_path / "s2.safetensors", {k: arrays[k] for k in ("t2", "t3")})
    index = {
        "weight_map": {
            "t0": "s1.safetensors",
            "t1": "s1.safetensors",
            "t2": "s2.safetensors",
            "t3": "s2.safetensors",
        }
    }
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    checkpoint = open_checkpoint(tmp_path)
    assert [p.name for p in checkpoint.files] == ["s1.safetensors", "s2.safetensors"]
    got = checkpoint.by_name()
    for name, array in arrays.items():
        np.testing.assert_array_equal(got[name].to_float32(), bf16_exact(array))
    assert checkpoint.nbytes == sum(a.size * 2 for a in arrays.values())


def test_missing_shard_and_missing_weights_are_clear_errors(tmp_path):
    (tmp_path / "model.safetensors.index.json").write_text(
        '{"weight_map": {"a": "gone.safetensors"}}'
    )
    with pytest.raises(UmiError, match=r"gone\.safetensors: weight shard named by the index"):
        open_checkpoint(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UmiError, match="no weights found"):
        open_checkpoint(empty)

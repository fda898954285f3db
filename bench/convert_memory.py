"""Peak memory of converting a checkpoint to GGUF, as a fraction of the checkpoint size.

    python bench/convert_memory.py [--layers 8] [--hidden 1024] [--layout bin|safetensors]

Writes a synthetic bf16 LLaMA checkpoint (vocab 32000; ~340 MB with the defaults) in a temporary
folder, converts it to an F16 GGUF in a fresh subprocess, and prints that process's peak RSS
(VmHWM), its RSS right after the imports (the fixed cost of Python + numpy + gguf), and the
difference — what conversion itself costs — each against the checkpoint size.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "convert"))
from torch_format import TensorRecord, bf16_truncate, save_torch_zip  # noqa: E402

# VmHWM (this process's peak RSS) from /proc: unlike ru_maxrss it is not inherited across
# fork+exec from the parent that generated the checkpoint.
CHILD = """
import json, re, sys, time
from pathlib import Path
from umi_cli.models.convert import convert_checkpoint
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
base = hwm()
t = time.perf_counter()
convert_checkpoint(Path(sys.argv[1]), Path(sys.argv[2]), out_type="F16")
seconds = time.perf_counter() - t
print(json.dumps({"baseline_kb": base, "peak_kb": hwm(), "seconds": seconds}))
"""


def _piece(text: str, score: float, kind: int) -> bytes:
    data = text.encode()
    body = b"\x0a" + _varint(len(data)) + data + b"\x15" + struct.pack("<f", score)
    body += b"\x18" + _varint(kind)
    return b"\x0a" + _varint(len(body)) + body


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def synthetic_tokenizer(vocab: int) -> bytes:
    """A SentencePiece ModelProto with LLaMA's layout: <unk> <s> </s>, 256 bytes, then words."""
    pieces = [_piece("<unk>", 0.0, 2), _piece("<s>", 0.0, 3), _piece("</s>", 0.0, 3)]
    pieces += [_piece(f"<0x{b:02X}>", 0.0, 6) for b in range(256)]
    pieces += [_piece(f"\u2581w{i}", -float(i), 1) for i in range(vocab - len(pieces))]
    return b"".join(pieces)


def write_checkpoint(folder: Path, args: argparse.Namespace) -> int:
    vocab, h, f = 32000, args.hidden, int(args.hidden * 2.6875)
    shapes = {"model.embed_tokens.weight": (vocab, h)}
    for i in range(args.layers):
        p = f"model.layers.{i}."
        shapes |= {
            p + "input_layernorm.weight": (h,),
            p + "self_attn.q_proj.weight": (h, h),
            p + "self_attn.k_proj.weight": (h, h),
            p + "self_attn.v_proj.weight": (h, h),
            p + "self_attn.o_proj.weight": (h, h),
            p + "post_attention_layernorm.weight": (h,),
            p + "mlp.gate_proj.weight": (f, h),
            p + "mlp.up_proj.weight": (f, h),
            p + "mlp.down_proj.weight": (h, f),
        }
    shapes |= {"model.norm.weight": (h,), "lm_head.weight": (vocab, h)}
    config = {
        "model_type": "llama",
        "vocab_size": vocab,
        "hidden_size": h,
        "intermediate_size": f,
        "num_hidden_layers": args.layers,
        "num_attention_heads": h // 128,
        "num_key_value_heads": h // 128,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5,
        "bos_token_id": 1,
        "eos_token_id": 2,
    }
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "tokenizer.model").write_bytes(synthetic_tokenizer(vocab))
    rng = np.random.default_rng(0)
    storages, records = {}, {}
    for i, (name, shape) in enumerate(shapes.items()):
        values = rng.standard_normal(math.prod(shape), dtype=np.float32) * 0.02
        storages[str(i)] = bf16_truncate(values).tobytes()
        stride = (shape[1], 1) if len(shape) == 2 else (1,)
        records[name] = TensorRecord(str(i), "BF16", 0, shape, stride)
    if args.layout == "bin":
        save_torch_zip(folder / "pytorch_model.bin", records, storages)
    else:
        _save_safetensors(folder / "model.safetensors", records, storages)
    del storages
    return sum(math.prod(s) * 2 for s in shapes.values())


def _save_safetensors(path: Path, records, storages) -> None:
    header, offset = {}, 0
    for name, rec in records.items():
        size = len(storages[rec.storage])
        header[name] = {
            "dtype": "BF16",
            "shape": list(rec.shape),
            "data_offsets": [offset, offset + size],
        }
        offset += size
    text = json.dumps(header).encode()
    with path.open("wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for rec in records.values():
            out.write(storages[rec.storage])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=1024)
    parser.add_argument("--layout", choices=["bin", "safetensors"], default="bin")
    parser.add_argument("--quant", help="also time llama.cpp quantization to this type")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="umi-convert-bench-") as tmp:
        folder = Path(tmp) / "hf"
        folder.mkdir()
        weights = write_checkpoint(folder, args)
        size = sum(p.stat().st_size for p in folder.iterdir())
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(folder), str(Path(tmp) / "out.gguf")],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        wall = time.perf_counter() - started
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        gguf_size = (Path(tmp) / "out.gguf").stat().st_size
        if args.quant:
            from umi_cli.models.convert.quantize import quantize_gguf

            started = time.perf_counter()
            quantize_gguf(Path(tmp) / "out.gguf", Path(tmp) / "q.gguf", args.quant)
            q_seconds = time.perf_counter() - started
            q_size = (Path(tmp) / "q.gguf").stat().st_size
    mb = 1024 * 1024
    peak, base = figures["peak_kb"] * 1024, figures["baseline_kb"] * 1024
    print(f"checkpoint ({args.layout}, bf16): {size / mb:.0f} MiB ({weights / mb:.0f} MiB weights)")
    print(
        f"F16 GGUF written:          {gguf_size / mb:.0f} MiB in {figures['seconds']:.1f} s "
        f"(process wall {wall:.1f} s)"
    )
    if args.quant:
        print(
            f"{args.quant} quantization:    {q_size / mb:.0f} MiB in {q_seconds:.1f} s "
            f"({gguf_size / mb / q_seconds:.0f} MiB/s of F16 input)"
        )
    print(f"RSS after imports:         {base / mb:.0f} MiB")
    print(f"peak RSS during convert:   {peak / mb:.0f} MiB = {peak / size:.1%} of the checkpoint")
    print(
        f"conversion's own share:    {(peak - base) / mb:.0f} MiB = {(peak - base) / size:.1%} "
        "of the checkpoint"
    )


if __name__ == "__main__":
    main()

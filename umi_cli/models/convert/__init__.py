"""Turn Hugging Face LLaMA checkpoints (``pytorch_model.bin`` or safetensors) into GGUF files.

No torch needed: checkpoints are read with a restricted unpickler and numpy, written tensor by
tensor with the ``gguf`` package, and quantized by llama.cpp through llama-cpp-python.
"""

from __future__ import annotations

from umi_cli.models.convert.pipeline import convert_checkpoint, convert_from_hub

__all__ = ["convert_checkpoint", "convert_from_hub"]

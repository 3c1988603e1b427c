"""Load a causal LM and its tokenizer from a local directory or a hub name, safely by default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from llmscan.errors import ModelLoadError


@dataclass
class LoadedModel:
    """A model ready for generation, with the tokenizer and the name it was loaded from."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def pick_device(requested: str) -> torch.device:
    """Resolve 'auto' to CUDA when present; refuse 'cuda' when it is not."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("--device: cuda was requested but no CUDA device is available")
    return torch.device(requested)


def pick_dtype(device: torch.device) -> torch.dtype:
    """bf16 on GPUs that support it, fp32 elsewhere."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def load_model(
    name: str,
    device: str = "auto",
    trust_remote_code: bool = False,
    allow_pickle: bool = False,
) -> LoadedModel:
    """Load `name` (HF directory or hub id) with safetensors weights only unless `allow_pickle`."""
    path = Path(name)
    if name.startswith((".", "/", "~")) and not path.expanduser().exists():
        raise ModelLoadError(f"MODEL: {name}: no such directory")
    if path.exists() and path.is_dir() and not (path / "config.json").exists():
        raise ModelLoadError(f"MODEL: {name}: not a Hugging Face model directory (no config.json)")
    dev = pick_device(device)
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            name,
            dtype=pick_dtype(dev),
            use_safetensors=None if allow_pickle else True,
            trust_remote_code=trust_remote_code,
        )
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        hint = "" if allow_pickle else " (only safetensors weights load unless --allow-pickle)"
        raise ModelLoadError(f"MODEL: cannot load {name!r}: {first}{hint}") from None
    model.to(dev).eval()
    return LoadedModel(model=model, tokenizer=prepare_tokenizer(tokenizer), name=name)


def prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Left padding for batched generation, with a pad token even for tokenizers that ship none."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    return tokenizer


def start_token_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token an 'empty' prompt consists of: BOS, else EOS (GPT-2's <|endoftext|>)."""
    tid = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    if tid is None:
        raise ModelLoadError("tokenizer has neither a BOS nor an EOS token; the 'empty' prompt needs one")
    return int(tid)

"""Load a causal LM and its tokenizer from a local directory or a hub name, safely by default."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase
from transformers.activations import FastGELUActivation, GELUTanh, NewGELUActivation

from llmscan.errors import ModelLoadError


@dataclass
class LoadedModel:
    """A model ready for generation, with the tokenizer and the name it was loaded from."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str
    chat: bool = False  # wrap prompts in the tokenizer's chat template

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
    chat_template: str = "auto",
) -> LoadedModel:
    """Load `name`: a HF directory, a hub id, or a .gguf file (dequantized by transformers via `gguf`).

    Weights load from safetensors (or GGUF) only, unless `allow_pickle`. `chat_template`: "auto" wraps prompts
    in the tokenizer's chat template when it has one, "on" requires one, "off" never wraps.
    """
    path = Path(name).expanduser()
    if name.startswith((".", "/", "~")) and not path.exists():
        raise ModelLoadError(f"MODEL: {name}: no such file or directory")
    gguf = path.suffix == ".gguf"
    if gguf and not path.is_file():
        raise ModelLoadError(f"MODEL: {name}: no such GGUF file")
    if path.exists() and path.is_dir() and not (path / "config.json").exists():
        raise ModelLoadError(f"MODEL: {name}: not a Hugging Face model directory (no config.json)")
    dev = pick_device(device)
    source, extra = (str(path.parent), {"gguf_file": path.name}) if gguf else (name, {})
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code, **extra)
        model = AutoModelForCausalLM.from_pretrained(
            source,
            dtype=pick_dtype(dev),
            use_safetensors=None if allow_pickle or gguf else True,
            trust_remote_code=trust_remote_code,
            **extra,
        )
    except Exception as e:  # noqa: BLE001 - a user's file: any parse failure is a one-line error
        if not gguf and not isinstance(e, (OSError, ValueError, NotImplementedError, KeyError, ImportError)):
            raise
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        if gguf:
            hint = " (GGUF: the file's quantization or architecture is not supported by transformers' GGUF loader)"
        else:
            hint = "" if allow_pickle else " (only safetensors weights load unless --allow-pickle)"
        raise ModelLoadError(f"MODEL: cannot load {name!r}: {first}{hint}") from None
    model.to(dev).eval()
    fuse_activations(model)
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if chat_template == "on" and not has_template:
        raise ModelLoadError(f"--chat-template: on, but the tokenizer of {name!r} has no chat template")
    return LoadedModel(model=model, tokenizer=prepare_tokenizer(tokenizer), name=name,
                       chat=has_template and chat_template != "off")


def fuse_activations(model: torch.nn.Module) -> int:
    """Swap tanh-GELUs written as chains of elementwise ops (GPT-2's `gelu_new`, `gelu_fast`) for PyTorch's
    fused kernel: the same function (transformers documents them as equal up to rounding), one pass over the
    MLP activations instead of eight. Applied to models llmscan loads itself, never to a model object a caller
    passes in; returns how many modules were swapped."""
    swaps = [(parent, name) for parent in model.modules() for name, child in parent.named_children()
             if type(child) in (NewGELUActivation, FastGELUActivation)]
    for parent, name in swaps:
        setattr(parent, name, GELUTanh())
    return len(swaps)


def context_length(lm: LoadedModel) -> int | None:
    """The model's maximum sequence length in tokens, when its config states one."""
    cfg = lm.model.config
    return getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", None)


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

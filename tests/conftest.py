"""Shared fixtures.

Most tests run the real code path on *tiny models with random weights built here from a config* (a byte-level
BPE tokenizer trained on the seed page, a 2-layer Qwen2 chat model, a 2-layer BART seq2seq model). Their output
is gibberish, which is fine: they exercise batching, chunking, caching, outputs and checks. Tests marked
`real_model` run the embedded Qwen2.5-Coder-1.5B model, provisioned by scripts/setup.sh (or on first use).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never depend on the Hugging Face hub
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "000_fd4f6e000473b793.txt"

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def _tokenizer(extra_text: str = ""):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=800, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    prompts = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "prompts").glob("*.toml"))
    english = "The city said on December 23 that 25 companies and 13 counsellors were certified. " * 3
    tok.train_from_iterator([SEED.read_text(encoding="utf-8"), prompts, english, extra_text], trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


def _prefer_visible_tokens(lm_head, tok) -> None:
    """Random weights tend to pick one whitespace token forever; mute whitespace and special tokens (EOS too)
    so the gibberish is visible text, which lets tests see that each output lands in the right place."""
    import torch

    with torch.no_grad():
        for i in range(lm_head.shape[0]):
            if not tok.decode([i]).strip() or i in tok.all_special_ids:
                lm_head[i] = 0.0


def build_tiny_chat_model(path: Path, context: int = 2048, seed: int = 0) -> Path:
    """A random-weight 2-layer Qwen2 chat model with a ChatML template, saved as a transformers directory."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tok = _tokenizer()
    cfg = Qwen2Config(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=context,
                      eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"), pad_token_id=tok.pad_token_id,
                      tie_word_embeddings=False)
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(cfg)
    _prefer_visible_tokens(model.lm_head.weight, tok)
    model.generation_config.eos_token_id = cfg.eos_token_id
    model.generation_config.pad_token_id = cfg.pad_token_id
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def build_tiny_seq2seq_model(path: Path, task: str = "translation", context: int = 256, seed: int = 0) -> Path:
    """A random-weight 2-layer BART model; `newsdesk_task` in its config tells newsdesk what it is for."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    tok = _tokenizer()
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    cfg = BartConfig(vocab_size=len(tok), d_model=32, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                     decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                     max_position_embeddings=context, pad_token_id=tok.pad_token_id, eos_token_id=eos,
                     bos_token_id=eos, decoder_start_token_id=eos, forced_eos_token_id=None,
                     tie_word_embeddings=False)
    cfg.newsdesk_task = task
    torch.manual_seed(seed)
    model = BartForConditionalGeneration(cfg)
    _prefer_visible_tokens(model.lm_head.weight, tok)
    model.generation_config.eos_token_id = eos
    model.generation_config.pad_token_id = tok.pad_token_id
    model.generation_config.decoder_start_token_id = eos
    model.generation_config.forced_eos_token_id = None
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_chat(tmp_path_factory) -> str:
    return str(build_tiny_chat_model(tmp_path_factory.mktemp("tiny-chat")))


@pytest.fixture(scope="session")
def tiny_chat_small_context(tmp_path_factory) -> str:
    """Context of 384 tokens: one paragraph of the seed page does not fit in a single request."""
    return str(build_tiny_chat_model(tmp_path_factory.mktemp("tiny-chat-384"), context=384))


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory) -> str:
    return str(build_tiny_seq2seq_model(tmp_path_factory.mktemp("tiny-bart")))


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def build_tiny_gguf(path: Path, context: int = 2048, seed: int = 0) -> Path:
    """The same kind of random-weight 2-layer Qwen2 chat model, written as a GGUF file (f32 tensors, the tiny
    byte-level BPE vocabulary, ChatML template) for the llama.cpp runtime."""
    import gguf
    import numpy as np

    hf_dir = build_tiny_chat_model(path.with_suffix(".hf"), context=context, seed=seed)
    from safetensors.numpy import load_file
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(hf_dir)
    sd = load_file(str(hf_dir / "model.safetensors"))
    cfg = __import__("json").loads((hf_dir / "config.json").read_text())
    w = gguf.GGUFWriter(str(path), arch="qwen2")
    w.add_name("newsdesk-tiny-test")
    w.add_context_length(context)
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(cfg["num_attention_heads"])
    w.add_head_count_kv(cfg["num_key_value_heads"])
    w.add_rope_freq_base(float(cfg.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(cfg["rms_norm_eps"]))
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    vocab = tok.get_vocab()
    tokens = [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    specials = set(tok.all_special_tokens) | set(SPECIALS)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types([gguf.TokenType.CONTROL if t in specials else gguf.TokenType.NORMAL for t in tokens])
    merges = __import__("json").loads(tok.backend_tokenizer.to_str())["model"]["merges"]
    w.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in merges])
    w.add_eos_token_id(tok.convert_tokens_to_ids("<|im_end|>"))
    w.add_pad_token_id(tok.pad_token_id)
    w.add_add_bos_token(False)
    w.add_chat_template(CHATML)
    names = {"model.embed_tokens.weight": "token_embd.weight", "lm_head.weight": "output.weight",
             "model.norm.weight": "output_norm.weight"}
    per_layer = {"input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
                 "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
                 "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
                 "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
                 "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
                 "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight"}
    for name, arr in sd.items():
        if name in names:
            target = names[name]
        else:
            _, _, layer, rest = name.split(".", 3)
            target = f"blk.{layer}.{per_layer[rest]}"
        w.add_tensor(target, np.ascontiguousarray(arr, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@pytest.fixture(scope="session")
def tiny_gguf(tmp_path_factory) -> str:
    return str(build_tiny_gguf(tmp_path_factory.mktemp("tiny-gguf") / "tiny-qwen2.gguf"))

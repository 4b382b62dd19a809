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

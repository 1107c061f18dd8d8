#!/usr/bin/env python3
"""HF transformers reference fixtures for railguard's decoder (kernels/decoder.h).

Runs where torch, transformers and safetensors are installed (the GPU machine;
no network needed: the models are random). railguard's C++ tests only read
what it writes:

  python3 tests/data/decoder/make_fixture.py             # -> tests/data/decoder/<name>/
  python3 tests/data/decoder/make_fixture.py --out DIR

One folder per model, each < 150 KB:
  config.json, model.safetensors   save_pretrained() of a tiny random model, float32
  expected.json                    {"tokens": [12 ids],
                                    "logits": HF fp32 logits after every token
                                              (6 significant digits),
                                    "greedy": 8 greedy tokens after the prompt,
                                    "greedy_margins": top-1 minus top-2 logit at
                                              each greedy step (ties make the
                                              comparison meaningless),
                                    "inv_freq": the model's rotary inv_freq}

Models (all 2 layers, vocab 256, hidden 32, 4 heads, 2 kv heads):
  llama32_tied   LlamaForCausalLM, tied embeddings, llama3 rope scaling
                 (theta 500000, factor 8, original 64 positions so that the
                 16-wide heads have frequencies in all three bands), head_dim 16
                 (not hidden / heads: the config field is honoured)
  llama2_gqa     LlamaForCausalLM, untied, no scaling, theta 10000, head_dim 8
  qwen2_bias     Qwen2ForCausalLM (q/k/v bias), tied, theta 1e6, head_dim 8

Weights are drawn with std 1/sqrt(fan_in) (norm gains 1 +- 0.2, biases
+- 0.5) rather than HF's 0.02, so that attention is far from uniform and
every part of the forward pass shows in the logits. Embeddings get std 0.1:
larger ones dominate the residual stream, and a tied model then just
repeats its last token under greedy decoding.
"""

import argparse
import json
import math
import os

import torch
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

TOKENS = [1, 17, 200, 42, 255, 0, 5, 5, 128, 63, 77, 11]
GREEDY_STEPS = 8


def rope_kwargs(theta, scaling=None):
    """rope_parameters (transformers 5) or rope_theta + rope_scaling (4.x)."""
    params = {"rope_type": "default", "rope_theta": theta}
    if scaling:
        params.update(scaling)
    if "rope_parameters" in LlamaConfig.__init__.__code__.co_varnames:
        return {"rope_parameters": params}
    return {"rope_theta": theta, "rope_scaling": scaling}


def models():
    common = dict(vocab_size=256, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=128, rms_norm_eps=1e-5,
                  bos_token_id=1, eos_token_id=2, pad_token_id=None)
    llama3 = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
              "original_max_position_embeddings": 64}
    yield "llama32_tied", LlamaForCausalLM, LlamaConfig(
        **common, intermediate_size=64, head_dim=16, tie_word_embeddings=True,
        **rope_kwargs(500000.0, llama3))
    yield "llama2_gqa", LlamaForCausalLM, LlamaConfig(
        **common, intermediate_size=48, tie_word_embeddings=False, **rope_kwargs(10000.0))
    yield "qwen2_bias", Qwen2ForCausalLM, Qwen2Config(
        **common, intermediate_size=64, tie_word_embeddings=True, use_sliding_window=False,
        **rope_kwargs(1000000.0))


def randomise(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.copy_(1.0 + 0.2 * (2 * torch.rand(p.shape, generator=gen) - 1))
            elif name.endswith(".bias"):
                p.copy_(0.5 * (2 * torch.rand(p.shape, generator=gen) - 1))
            elif "embed_tokens" in name:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))


def sig6(x):
    return float(f"{x:.6g}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    torch.manual_seed(0)
    for i, (name, cls, config) in enumerate(models()):
        gen = torch.Generator().manual_seed(1000 + i)
        model = cls(config).float().eval()
        randomise(model, gen)
        if config.tie_word_embeddings:
            assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
        with torch.no_grad():
            ids = torch.tensor([TOKENS])
            logits = model(ids).logits[0].float()
            # Greedy by hand (full recomputation, argmax = first maximum):
            # generate() would bring generation_config defaults into play.
            seq, greedy, margins = list(TOKENS), [], []
            for _ in range(GREEDY_STEPS):
                last = model(torch.tensor([seq])).logits[0, -1].float()
                top2 = torch.topk(last, 2).values
                nxt = int(torch.argmax(last))
                greedy.append(nxt)
                margins.append(sig6(float(top2[0] - top2[1])))
                seq.append(nxt)
        folder = os.path.join(args.out, name)
        os.makedirs(folder, exist_ok=True)
        model.save_pretrained(folder, safe_serialization=True)
        for extra in ("generation_config.json",):
            path = os.path.join(folder, extra)
            if os.path.exists(path):
                os.remove(path)
        expected = {
            "model": cls.__name__,
            "transformers": __import__("transformers").__version__,
            "torch": torch.__version__,
            "tokens": TOKENS,
            "logits": [[sig6(v) for v in row.tolist()] for row in logits],
            "greedy": greedy,
            "greedy_margins": margins,
            "inv_freq": [float(v) for v in model.model.rotary_emb.inv_freq.tolist()],
        }
        with open(os.path.join(folder, "expected.json"), "w") as f:
            json.dump(expected, f, separators=(",", ":"))
            f.write("\n")
        sizes = {n: os.path.getsize(os.path.join(folder, n)) for n in sorted(os.listdir(folder))}
        print(name, sizes, "greedy", greedy, "min margin", min(margins))


if __name__ == "__main__":
    main()

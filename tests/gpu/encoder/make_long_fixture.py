#!/usr/bin/env python3
"""A bge-small / e5-small-shaped reference fixture for the GPU encoder check.

  python3 tests/gpu/encoder/make_long_fixture.py --out DIR

Writes DIR/config.json, DIR/model.safetensors (random BertModel: vocab 30522,
hidden 384, 12 layers, 12 heads, intermediate 1536, 512 positions; weights
drawn like tests/data/encoder/make_fixture.py) and DIR/expected.json in
make_fixture.py's format (embeddings.sentences[i] = {ids, mean, cls}) for 64
random token sequences of 1 to 512 tokens ([CLS] ... [SEP]), so that the
attention kernel sees many key tiles, the longest positions and heavy padding.
References: HF BertModel in fp32 on the CPU (eager attention); the fp64 run's
largest difference from it is printed.
"""

import argparse
import importlib.util
import json
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=77)
    ap.add_argument("--layers", type=int, default=12)
    args = ap.parse_args()

    import torch
    from transformers import BertConfig, BertModel

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "make_fixture", os.path.join(here, "..", "..", "data", "encoder", "make_fixture.py"))
    mf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mf)

    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    config = BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=args.layers,
                        num_attention_heads=12, intermediate_size=1536,
                        max_position_embeddings=512, type_vocab_size=2, hidden_act="gelu",
                        layer_norm_eps=1e-12, pad_token_id=0, attn_implementation="eager")
    model = BertModel(config, add_pooling_layer=False)
    mf.random_init(model, args.seed)
    model.eval()
    model.save_pretrained(args.out)

    g = torch.Generator().manual_seed(args.seed + 1)
    lengths = [1, 2, 3, 512, 511, 65, 64, 63, 129, 300, 17, 16]
    while len(lengths) < 64:
        lengths.append(int(torch.randint(4, 400, (1,), generator=g)))
    n = max(lengths)
    ids = torch.zeros(len(lengths), n, dtype=torch.long)
    mask = torch.zeros(len(lengths), n, dtype=torch.long)
    for i, L in enumerate(lengths):
        row = torch.randint(1000, 30522, (L,), generator=g)
        row[0] = 101
        if L > 1:
            row[-1] = 102
        ids[i, :L] = row
        mask[i, :L] = 1

    def run(m, dtype):
        with torch.no_grad():
            out = m(input_ids=ids, attention_mask=mask,
                    token_type_ids=torch.zeros_like(ids)).last_hidden_state.to(dtype)
        mm = mask.unsqueeze(-1).to(dtype)
        mean = torch.nn.functional.normalize((out * mm).sum(1) / mm.sum(1).clamp(min=1e-9), dim=1)
        cls = torch.nn.functional.normalize(out[:, 0], dim=1)
        return mean, cls

    torch.backends.cuda.matmul.allow_tf32 = False
    mean32, cls32 = run(model, torch.float32)
    mean64, cls64 = run(model.double(), torch.float64)
    d = max((mean32.double() - mean64).abs().max().item(), (cls32.double() - cls64).abs().max().item())
    expected = {
        "generator": "tests/gpu/encoder/make_long_fixture.py",
        "seed": args.seed,
        "embeddings": {
            "dtype": "float32", "token_type_ids": "zeros", "max_abs_diff_fp32_vs_fp64": d,
            "sentences": [{"ids": ids[i, :L].tolist(), "mean": mean32[i].tolist(),
                           "cls": cls32[i].tolist()} for i, L in enumerate(lengths)],
        },
    }
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(expected, f)
    print("wrote %s: %d layers, %d sequences of 1..%d tokens, HF fp32 vs fp64 max |diff| %.2e"
          % (args.out, args.layers, len(lengths), n, d))
    return 0


if __name__ == "__main__":
    sys.exit(main())

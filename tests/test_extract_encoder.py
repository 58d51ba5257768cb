"""The last encoder layer computed only at the rows a head reads (``litgraph.extract.encoder``): the same states
there as the full forward pass of a real encoder, with and without padding; every other architecture, and
training, keep the full pass."""

from __future__ import annotations

from pathlib import Path

import torch

from litgraph.extract.encoder import hidden_states_at, reads_subset
from litgraph.extract.relations import RelationExtractor

SHIPPED_RE = Path(__file__).resolve().parents[1] / "litgraph" / "extract" / "shipped" / "re"


def test_the_read_rows_equal_the_full_pass_with_and_without_padding():
    encoder = RelationExtractor.load(SHIPPED_RE).model.encoder
    assert reads_subset(encoder)
    torch.manual_seed(0)
    ids = torch.randint(1000, 20000, (2, 60))
    mask = torch.ones_like(ids)
    mask[1, 41:] = 0  # the second window is padded
    rows = torch.tensor([0, 3, 17, 40])
    with torch.inference_mode():
        for m in (torch.ones_like(ids), mask):
            full = encoder(input_ids=ids, attention_mask=m).last_hidden_state
            part = hidden_states_at(encoder, ids, m, rows)
            assert part.shape == full.shape
            assert torch.allclose(part[:, rows], full[:, rows], atol=1e-5)
            others = [i for i in range(ids.shape[1]) if i not in rows.tolist()]
            assert not part[:, others].any()  # the rows nobody reads are not computed


def test_training_and_other_architectures_keep_the_full_pass():
    from transformers import RobertaConfig, RobertaModel

    encoder = RelationExtractor.load(SHIPPED_RE).model.encoder
    encoder.train()
    assert not reads_subset(encoder)
    encoder.eval()
    assert reads_subset(encoder)
    tiny = RobertaModel(RobertaConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)).eval()
    assert not reads_subset(tiny)

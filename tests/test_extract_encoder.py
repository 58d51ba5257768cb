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


def test_fgm_moves_the_embeddings_of_a_frozen_matrix_along_the_gradient():
    """FGM's second pass sees the batch's word embeddings moved by ε·g/‖g‖, also when the embedding matrix is
    frozen (the default: it has no gradient of its own); evaluation passes are never moved."""
    from litgraph.extract.train import FGM

    encoder = RelationExtractor.load(SHIPPED_RE).model.encoder
    embeddings = encoder.embeddings.word_embeddings
    embeddings.weight.requires_grad_(False)
    fgm = FGM(embeddings, epsilon=1.0)
    seen = []
    embeddings.register_forward_hook(lambda module, inputs, output: seen.append(output.detach().clone()))
    ids = torch.randint(1000, 20000, (2, 30))
    encoder.train()
    encoder(input_ids=ids).last_hidden_state.pow(2).mean().backward()
    fgm.attack()
    assert len(fgm.moves) == 1 and abs(float(fgm.moves[0].norm()) - 1.0) < 1e-4
    move = fgm.moves[0].clone()
    encoder(input_ids=ids).last_hidden_state.pow(2).mean().backward()
    fgm.restore()
    assert torch.allclose(seen[1], seen[0] + move, atol=1e-6) and move.abs().max() > 0
    encoder.eval()
    with torch.no_grad():
        encoder(input_ids=ids)
    assert torch.equal(seen[2], seen[0])  # no move outside training
    fgm.close()
